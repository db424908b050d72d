// The supervisor against the real kernel process (kernel-process.ts → startOod) on a fresh data folder:
// it reports the wizard's address as the kernel gives it, restarts a killed kernel after the backoff
// delay, and a graceful stop ends the kernel with exit code 0 and its ports closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, portIsOpen, randomLoopback, tempDirFor } from '../kernel/testing/harness.js';
import { forkKernel } from './node-child.js';
import { KernelSupervisor, restartDelayMs, type KernelState } from './supervisor.js';

test('restartDelayMs doubles per crash in a row and stops at the ceiling', () => {
  const policy = { initialMs: 500, maxMs: 4_000, stableAfterMs: 60_000 };
  assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => restartDelayMs(n, policy)), [500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  assert.equal(restartDelayMs(0, policy), 500);
});

test('a killed kernel is restarted after the backoff delay; quit stops it gracefully', async (t) => {
  const dataDir = await tempDirFor(t, 'buckyos-desktop-sup-');
  const host = randomLoopback();
  const states: KernelState[] = [];
  const exits: { code: number | null; signal: string | null }[] = [];
  let output = '';
  const sup = new KernelSupervisor({
    spawn: () => {
      const child = forkKernel({ dataDir, host }, { stdio: 'pipe' });
      child.onExit((code, signal) => { exits.push({ code, signal }); output += child.output(); });
      return child;
    },
    backoff: { initialMs: 300, maxMs: 2_000, stableAfterMs: 60_000 },
    stopTimeoutMs: 20_000,
    onState: (s) => states.push(s),
  });
  t.after(() => sup.stop({ stopApps: false }));
  const context = () => `states: ${JSON.stringify(states)}\n${output}`;
  sup.start();

  const first = await pollUntil('the kernel to report the wizard', async () => {
    const s = sup.state();
    return s.kind === 'activating' ? s : undefined;
  }, { timeoutMs: 90_000, context });
  assert.equal(first.addresses.wizardUrl, `http://${host}:3182/`);
  assert.equal(first.addresses.panelUrl, `http://${host}:3180/`);
  assert.equal(first.dataDir, dataDir);
  const page = await fetch(first.addresses.wizardUrl);
  assert.equal(page.status, 200);
  await page.body?.cancel();

  // A crash: the supervisor waits the first backoff delay, then starts a new kernel process.
  const crashed = sup.pid()!;
  process.kill(crashed, 'SIGKILL');
  const restarting = await pollUntil('the supervisor to schedule a restart', async () => {
    const s = sup.state();
    return s.kind === 'restarting' ? s : undefined;
  }, { timeoutMs: 30_000, context });
  assert.deepEqual({ inMs: restarting.inMs, crashes: restarting.crashesInARow, lastExit: restarting.lastExit }, { inMs: 300, crashes: 1, lastExit: 'killed by SIGKILL' });
  const again = await pollUntil('the restarted kernel to report the wizard', async () => {
    const s = sup.state();
    return s.kind === 'activating' && s.restarts === 1 ? s : undefined;
  }, { timeoutMs: 90_000, context });
  assert.notEqual(sup.pid(), crashed);
  assert.equal(again.addresses.wizardUrl, first.addresses.wizardUrl);

  // A second crash in a row waits twice as long.
  process.kill(sup.pid()!, 'SIGKILL');
  const second = await pollUntil('the second restart', async () => {
    const s = sup.state();
    return s.kind === 'restarting' ? s : undefined;
  }, { timeoutMs: 30_000, context });
  assert.equal(second.inMs, 600);
  await pollUntil('the third kernel', async () => (sup.state().kind === 'activating' ? true : undefined), { timeoutMs: 90_000, context });

  // Quit: a stop message, the kernel stops its servers and exits 0; nothing restarts it.
  await sup.stop({ stopApps: false });
  assert.deepEqual(sup.state(), { kind: 'stopped', appsStopped: 0 });
  assert.deepEqual(exits.at(-1), { code: 0, signal: null }, context());
  assert.equal(await portIsOpen(host, 3182), false);
  await new Promise((r) => setTimeout(r, 1_000));
  assert.equal(sup.state().kind, 'stopped');
  assert.equal(exits.length, 3);
  assert.match(await readFile(join(dataDir, 'logs', 'kernel.log'), 'utf8'), /desktop: stopping the kernel/);
});
