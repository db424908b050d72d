import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { isProcessAlive } from './process-alive.js';

test('this process is alive, an exited one is not', () => {
  assert.equal(isProcessAlive(process.pid), true);
  const exited = spawnSync(process.execPath, ['-e', '']).pid!;
  assert.equal(isProcessAlive(exited), false);
});
