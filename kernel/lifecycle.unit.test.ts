import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from './lib/log.js';
import { runSetupThenBoot, type SetupThenBootOptions, type StopStack } from './lifecycle.js';

function recorder() {
  const events: string[] = [];
  const item = (name: string) => {
    events.push(`start ${name}`);
    return { stop: async () => { events.push(`stop ${name}`); } };
  };
  return { events, item };
}

const options = (o: Partial<SetupThenBootOptions<'setting-up'>>): SetupThenBootOptions<'setting-up'> => ({
  isSetUp: async () => true, setupPhase: 'setting-up', setupName: 'setup',
  startSetupServer: async () => ({ stop: async () => {} }), boot: async () => {}, log: silentLogger, ...o,
});

test('a set-up device boots at once and stop() stops what boot started, last first', async () => {
  const { events, item } = recorder();
  const life = await runSetupThenBoot(options({ boot: async (s) => { await s.push(item('a')); await s.push(item('b')); } }));
  await life.running;
  assert.equal(life.phase(), 'running');
  await life.stop();
  assert.equal(life.phase(), 'stopped');
  assert.deepEqual(events, ['start a', 'start b', 'stop b', 'stop a']);
});

test('an unset device serves setup until onSetUp, then stops the setup server and boots', async () => {
  const { events, item } = recorder();
  let setUp!: () => void;
  const life = await runSetupThenBoot(options({
    isSetUp: async () => false,
    startSetupServer: async (onSetUp) => { setUp = onSetUp; return item('setup'); },
    boot: async (s) => { await s.push(item('kernel')); },
  }));
  assert.equal(life.phase(), 'setting-up');
  setUp();
  await sleep(50);
  assert.deepEqual(events, ['start setup'], 'the setup port stays open a moment for the commit response');
  await life.running;
  assert.equal(life.phase(), 'running');
  await life.stop();
  assert.deepEqual(events, ['start setup', 'stop setup', 'start kernel', 'stop kernel']);
});

test('a stop during the delay after setup stops the setup server once and never boots', async () => {
  const { events, item } = recorder();
  let setUp!: () => void;
  const life = await runSetupThenBoot(options({
    isSetUp: async () => false,
    startSetupServer: async (onSetUp) => { setUp = onSetUp; return item('setup'); },
    boot: async (s) => { await s.push(item('kernel')); },
  }));
  setUp();
  await life.stop();
  await sleep(150);
  assert.equal(life.phase(), 'stopped');
  assert.deepEqual(events, ['start setup', 'stop setup']);
});

test('a stop during boot stops what boot started, including what it was starting, and nothing more starts', async () => {
  const { events, item } = recorder();
  let setUp!: () => void;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let booting!: () => void;
  const inBoot = new Promise<void>((r) => { booting = r; });
  const life = await runSetupThenBoot(options({
    isSetUp: async () => false,
    startSetupServer: async (onSetUp) => { setUp = onSetUp; return { stop: async () => {} }; },
    boot: async (s: StopStack) => {
      await s.push(item('a'));
      booting();
      await gate;
      await s.push(item('b'));
      await s.push(item('c'));
    },
  }));
  setUp();
  await inBoot;
  const stopped = life.stop();
  await sleep(10);
  release();
  await stopped;
  assert.equal(life.phase(), 'stopped');
  assert.deepEqual(events, ['start a', 'stop a', 'start b', 'stop b']);
  const settled = await Promise.race([life.running.then(() => 'resolved', () => 'rejected'), sleep(20).then(() => 'pending')]);
  assert.equal(settled, 'pending', 'a stopped boot neither reports running nor a failure');
});

test('a failed first boot stops what it started and rejects', async () => {
  const { events, item } = recorder();
  await assert.rejects(runSetupThenBoot(options({
    boot: async (s) => { await s.push(item('a')); throw new Error('no identity'); },
  })), /no identity/);
  assert.deepEqual(events, ['start a', 'stop a']);
});

test('a failed boot after setup rejects running', async () => {
  let setUp!: () => void;
  const life = await runSetupThenBoot(options({
    isSetUp: async () => false,
    startSetupServer: async (onSetUp) => { setUp = onSetUp; return { stop: async () => {} }; },
    boot: async () => { throw new Error('OOD unreachable'); },
  }));
  setUp();
  await assert.rejects(life.running, /OOD unreachable/);
  await life.stop();
});
