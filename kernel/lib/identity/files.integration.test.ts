import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dataPaths } from '../paths.js';
import { isKrpcError } from '../errors.js';
import { tempDir } from '../../testing/harness.js';
import { isActivated } from './files.js';

test('a missing identity means "not set up"; a corrupt one is an error, never "activate again"', async () => {
  const dir = await tempDir();
  try {
    const paths = dataPaths(dir.path);
    assert.equal(await isActivated(paths), false);
    await mkdir(paths.etc, { recursive: true });
    await writeFile(paths.nodeIdentity, '{"schema": "buckyos.node_identity.v2", "device_na');
    await assert.rejects(isActivated(paths), (e: unknown) => isKrpcError(e, 'FAILED_PRECONDITION') && e.message.includes('node_identity.json'));
    await writeFile(paths.nodeIdentity, JSON.stringify({ schema: 'buckyos.node_identity.v2', device_name: 'ood1' }));
    assert.equal(await isActivated(paths), true);
  } finally {
    await dir.remove();
  }
});
