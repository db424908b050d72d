// Replays saved scheduler rounds: a dump (with the snapshot it held) and a clock go in, and the exact
// actions, writes and snapshot that were saved must come out. UPDATE_SCHEDULER_FIXTURES=1 rewrites
// the fixture from its recipe below; review the diff before committing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { buildSchedulerInput } from './input.js';
import { schedule } from './schedule.js';
import { parseSnapshot, snapshotWrites } from './snapshot-store.js';
import { canonicalJson } from './canonical.js';
import { GiB, appSpec, applyWrites, bootedZone, deviceInfo, instanceReport, userSettings } from './fixtures/zone.js';
import type { ExecTxAction, SchedulerAction, SchedulerSnapshot } from './types.js';

interface ReplayFixture {
  description: string;
  now: number;
  dump: Record<string, string>;
  expected: { actions: SchedulerAction[]; writes: Record<string, ExecTxAction>; snapshot: SchedulerSnapshot };
}

const FIXTURE = new URL('./fixtures/replay-nas-gone.json', import.meta.url);

function replay(dump: Record<string, string>, now: number) {
  return schedule(buildSchedulerInput(dump), parseSnapshot(dump['system/scheduler/snapshot']), now);
}

/** The recipe: a converged OOD + NAS zone with two apps, then the NAS goes silent for 60 s. */
function recordFixture(): ReplayFixture {
  const t0 = 1_700_000_100;
  let dump: Record<string, string> = {
    ...bootedZone(),
    'devices/ood1/info': deviceInfo('ood1', { updateTime: t0 - 5, allIp: ['192.168.1.10'] }),
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: t0 - 5, totalMem: 8 * GiB, memUsage: GiB, allIp: ['192.168.1.20'] }),
    'users/bob/settings': userSettings('bob'),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
    'users/bob/apps/filedrop/spec': appSpec('bob', 'filedrop', { appIndex: 11, affinity: 'ood1' }),
  };
  for (let i = 0; i < 3; i++) {
    const r = replay(dump, t0);
    if (r.changed) dump = applyWrites(dump, { ...r.writes, ...snapshotWrites(r.snapshot, dump) });
  }
  const t1 = t0 + 60;
  dump = {
    ...dump,
    'devices/ood1/info': deviceInfo('ood1', { updateTime: t1 - 3, allIp: ['192.168.1.10'] }),
    'services/verify-hub/instances/ood1': instanceReport('verify-hub', 'ood1', { port: 3300, now: t1 - 3 }),
    'services/filedrop@bob/instances/ood1': instanceReport('filedrop@bob', 'ood1', { port: 10176, now: t1 - 3 }),
    'services/notes@alice/instances/nas': instanceReport('notes@alice', 'nas', { port: 10160, now: t0 }),
  };
  const r = replay(dump, t1);
  return {
    description: 'OOD + NAS zone, converged at t0; at t0+60 the NAS has been silent for 65 s, so notes@alice moves to ood1',
    now: t1,
    dump,
    expected: { actions: r.actions, writes: r.writes, snapshot: r.snapshot },
  };
}

if (process.env.UPDATE_SCHEDULER_FIXTURES === '1') writeFileSync(FIXTURE, `${JSON.stringify(recordFixture(), null, 2)}\n`);
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ReplayFixture;

test('replaying the saved round gives the saved actions, writes and snapshot', () => {
  const r = replay(fixture.dump, fixture.now);
  assert.deepEqual(r.actions, fixture.expected.actions);
  assert.deepEqual(r.writes, fixture.expected.writes);
  assert.equal(canonicalJson(r.snapshot), canonicalJson(fixture.expected.snapshot));
});

test('the saved round is the self-healing move it claims to be', () => {
  const byType = (t: string) => fixture.expected.actions.filter((a) => a.type === t).map((a) => `${a.target} ${a.reason.code}`);
  assert.deepEqual(byType('place_instance'), ['notes@alice@ood1 replace:node-gone']);
  assert.deepEqual(byType('stop_instance'), ['notes@alice@nas replace:node-gone']);
  assert.equal(fixture.expected.snapshot.nodes.nas.status, 'gone');
  assert.equal(fixture.expected.snapshot.placements['filedrop@bob'].instances[0].reason.code, 'filter:only-candidate');
});

test('replaying the round after its writes landed changes nothing', () => {
  const after = applyWrites(fixture.dump, { ...fixture.expected.writes, ...snapshotWrites(fixture.expected.snapshot, fixture.dump) });
  const r = replay(after, fixture.now);
  // The stopped NAS entry has no live report any more, so only its drop remains.
  assert.deepEqual(r.actions.map((a) => `${a.type} ${a.target}`), ['drop_instance notes@alice@nas']);
  const settled = applyWrites(after, { ...r.writes, ...snapshotWrites(r.snapshot, after) });
  assert.equal(replay(settled, fixture.now).changed, false);
});
