// The tray's zone state from the kernel process and the panel's diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayState } from './tray-state.js';

const addresses = { wizardUrl: 'http://127.0.0.1:3182/', panelUrl: 'http://127.0.0.1:3180/' };
const running = { kind: 'running' as const, addresses, dataDir: '/d', restarts: 0 };

test('a running zone with passing checks is healthy', () => {
  assert.deepEqual(trayState({ kernel: running, now: 1_000 }), { level: 'healthy', label: 'Home cloud is running well' });
  assert.equal(trayState({ kernel: running, health: { report: { status: 'ok' }, at: 900 }, now: 1_000 }).level, 'healthy');
});

test("a failing check makes it need attention, naming the diagnostics' top cause", () => {
  const s = trayState({ kernel: running, health: { report: { status: 'bad', cause: 'scheduler is not answering' }, at: 900 }, now: 1_000 });
  assert.deepEqual(s, { level: 'attention', label: 'Home cloud needs attention: scheduler is not answering', cause: 'scheduler is not answering' });
  assert.equal(trayState({ kernel: running, health: { report: { status: 'warn' }, at: 900 }, now: 1_000 }).cause, 'a health check failed');
});

test('an old report is not trusted', () => {
  assert.equal(trayState({ kernel: running, health: { report: { status: 'bad', cause: 'x' }, at: 0 }, now: 11 * 60_000 }).level, 'healthy');
});

test('the kernel process comes first: restarting, unactivated, stopped', () => {
  const bad = { report: { status: 'bad' as const, cause: 'x' }, at: 0 };
  assert.deepEqual(trayState({ kernel: { kind: 'restarting', inMs: 2_000, crashesInARow: 2, lastExit: 'exit code 1', restarts: 1 }, health: bad, now: 0 }),
    { level: 'attention', label: 'Home cloud needs attention: it stopped unexpectedly; starting it again in 2 s', cause: 'it stopped unexpectedly; starting it again in 2 s' });
  assert.equal(trayState({ kernel: { kind: 'activating', addresses, dataDir: '/d', restarts: 0 }, now: 0 }).cause, 'not set up yet: open BuckyOS to set it up');
  assert.equal(trayState({ kernel: { kind: 'stopped', appsStopped: 0 }, health: bad, now: 0 }).level, 'stopped');
  assert.equal(trayState({ kernel: { kind: 'starting', restarts: 2 }, now: 0 }).cause, 'it stopped unexpectedly 2 times; starting again');
});
