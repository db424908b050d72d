// Why not on <node>?: every hard filter, the memory filter and the score, from a real pass's snapshot
// (schedule() on a dump), answered by the same placement functions; the matrix of every app × node;
// and the diff step that ties an action to the input change behind it (an upgrade).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchedulerInput } from './input.js';
import { schedule } from './schedule.js';
import { parseSnapshot, snapshotWrites } from './snapshot-store.js';
import { placementMatrix, whyNot } from './why-not.js';
import { diffStep, inputChanges } from './snapshot-view.js';
import type { SchedulerSnapshot } from './types.js';
import { GiB, appSpec, applyWrites, bootedZone, deviceInfo, userSettings } from './fixtures/zone.js';

const NOW = 1_700_000_100;

function pass(dump: Record<string, string>): { dump: Record<string, string>; snap: SchedulerSnapshot } {
  const r = schedule(buildSchedulerInput(dump), parseSnapshot(dump['system/scheduler/snapshot']), NOW);
  const next = r.changed ? applyWrites(dump, { ...r.writes, ...snapshotWrites(r.snapshot, dump) }) : dump;
  return { dump: next, snap: r.snapshot };
}

function zone(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...bootedZone(),
    'users/alice/settings': userSettings('alice', 'admin'),
    'devices/ood1/info': deviceInfo('ood1', { updateTime: NOW - 5, totalMem: 16 * GiB, memUsage: 2 * GiB }),
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, totalMem: 8 * GiB, memUsage: 1 * GiB }),
    'devices/pi/info': deviceInfo('pi', { type: 'node', arch: 'aarch64', updateTime: NOW - 5, totalMem: 4 * GiB, memUsage: 1 * GiB, supportContainer: true }),
    'devices/old/info': deviceInfo('old', { type: 'node', updateTime: NOW - 3600 }),
    'nodes/lab/config': JSON.stringify({ node_id: 'lab', node_did: 'did:bns:lab', kernel: {}, apps: {}, frame_services: {}, state: 'running', res_pool_id: 'lab' }),
    'devices/lab/info': deviceInfo('lab', { type: 'node', updateTime: NOW - 5 }),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
    'users/alice/apps/pinned/spec': appSpec('alice', 'pinned', { appIndex: 11, affinity: 'nas' }),
    'users/alice/apps/big/spec': appSpec('alice', 'big', { appIndex: 12, memory: 12 * GiB }),
    'users/alice/apps/boxed/spec': appSpec('alice', 'boxed', { appIndex: 13, pkgList: { amd64_docker_image: { pkg_id: 'boxed-img#1.0.0' } } }),
    'users/alice/apps/armonly/spec': appSpec('alice', 'armonly', { appIndex: 14, pkgList: { aarch64_linux_app: { pkg_id: 'armonly#1.0.0' } } }),
    ...extra,
  };
}

test('why not: each filter, the memory shortfall and the score, named per node', () => {
  const { snap } = pass(zone());
  assert.ok(snap.facts, 'the snapshot keeps what the filters read');
  const v = (spec: string, node: string) => whyNot(snap, spec, node).verdict;
  const filter = (spec: string, node: string) => { const x = v(spec, node); return x.verdict === 'filtered' ? x.filter : x.verdict; };

  assert.equal(filter('pinned@alice', 'ood1'), 'filter:affinity');
  assert.equal(filter('notes@alice', 'old'), 'filter:node-gone');
  assert.equal(filter('notes@alice', 'lab'), 'filter:resource-pool');
  assert.equal(filter('armonly@alice', 'ood1'), 'filter:arch-mismatch');
  assert.equal(filter('boxed@alice', 'nas'), 'filter:no-container-support');
  const kernelSpec = Object.keys(snap.placements).find((id) => snap.placements[id].kind === 'kernel')!;
  assert.equal(filter(kernelSpec, 'nas'), 'filter:not-ood');

  const short = v('big@alice', 'nas');
  assert.equal(short.verdict, 'short');
  assert.ok(short.verdict === 'short' && short.need === 12 * GiB && short.free < short.need);
  assert.equal(whyNot(snap, 'big@alice', 'nas').placed_on.length, 1, 'big still runs where 12 GiB are free');

  const placedOn = whyNot(snap, 'notes@alice', 'ood1').placed_on;
  assert.equal(placedOn.length, 1);
  const other = placedOn[0] === 'ood1' ? 'nas' : 'ood1';
  const placed = v('notes@alice', placedOn[0]);
  assert.equal(placed.verdict, 'placed');
  const lost = v('notes@alice', other);
  assert.equal(lost.verdict, 'not-chosen');
  assert.ok(lost.verdict === 'not-chosen' && lost.enough && lost.chosen[0].node === placedOn[0] && typeof lost.chosen[0].score === 'number');
  // Detail sentences name the nodes and the facts.
  const pool = v('notes@alice', 'lab');
  assert.ok(pool.verdict === 'filtered' && /pool "lab"/.test(pool.detail));
});

test('the matrix: every app × node cell, apps first; older snapshots without facts say unknown', () => {
  const { snap } = pass(zone());
  const m = placementMatrix(snap);
  assert.deepEqual(m.nodes, ['lab', 'nas', 'old', 'ood1', 'pi']);
  assert.equal(m.specs[0].kind, 'app');
  const row = (id: string) => m.cells[m.specs.findIndex((s) => s.spec_id === id)];
  assert.deepEqual(row('pinned@alice'), ['filter:affinity', 'placed', 'filter:node-gone', 'filter:affinity', 'filter:affinity']);
  assert.equal(row('armonly@alice')[m.nodes.indexOf('pi')], 'placed');
  assert.ok(row('notes@alice').some((c) => c.startsWith('score:')));
  const { facts: _f, ...old } = snap;
  assert.ok(placementMatrix(old).cells.flat().every((c) => c === 'placed' || c === 'stopped' || c === 'unknown'));
});

test('the diff after an upgrade ties the instance update to the spec change that caused it', () => {
  const first = pass(zone());
  const upgraded = pass({ ...first.dump, 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, version: '1.1.0', state: 'running' }) });
  const inputs = inputChanges(first.snap, upgraded.snap);
  assert.deepEqual(inputs, [{ change: 'spec-changed', spec_id: 'notes@alice', key: 'users/alice/apps/notes/spec', fields: ['version'], from_version: '1.0.0', to_version: '1.1.0' }]);
  const step = diffStep(first.snap, upgraded.snap);
  const update = step.actions.find((a) => a.type === 'update_instance');
  assert.ok(update, JSON.stringify(step.actions));
  assert.equal(update.cause, 0);
  assert.ok(update.target.startsWith('notes@alice@'));
});

test('a pass where only free memory moved writes no new snapshot (facts are not compared)', () => {
  const first = pass(zone());
  const settled = pass(first.dump);
  const noisy: Record<string, string> = { ...settled.dump, 'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, totalMem: 8 * GiB, memUsage: 3 * GiB }) };
  const r = schedule(buildSchedulerInput(noisy), parseSnapshot(noisy['system/scheduler/snapshot']), NOW);
  assert.equal(r.changed, false);
});

test('why not follows the grace after the scheduler starts listening (listeningSince): a node silent since before then is not called gone', () => {
  const dump = zone();
  const at = (listeningSince?: number) => {
    const r = schedule(buildSchedulerInput(dump, listeningSince === undefined ? {} : { listeningSince }), parseSnapshot(dump['system/scheduler/snapshot']), NOW);
    return whyNot(r.snapshot, 'notes@alice', 'old').verdict;
  };
  const without = at();
  assert.ok(without.verdict === 'filtered' && without.filter === 'filter:node-gone', JSON.stringify(without));
  // The scheduler started 10 s ago: 'old' was last heard an hour ago, before it could listen.
  const within = at(NOW - 10);
  // It passes every hard filter ('old' reports no free memory, so the memory filter is what stops it).
  assert.equal(within.verdict, 'short', JSON.stringify(within));
});
