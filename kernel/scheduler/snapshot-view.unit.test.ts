import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { diffSnapshots, diffSnapshotsJson, formatSnapshot, snapshotJson } from './snapshot-view.js';
import { parseSnapshot } from './snapshot-store.js';
import type { SchedulerSnapshot } from './types.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/replay-nas-gone.json', import.meta.url), 'utf8')) as {
  dump: Record<string, string>;
  expected: { snapshot: SchedulerSnapshot };
};
const before = parseSnapshot(fixture.dump['system/scheduler/snapshot'])!;
const after = fixture.expected.snapshot;

test('the JSON form lists every placement with its reason', () => {
  const j = snapshotJson(after);
  assert.equal(j.rev, after.rev);
  assert.ok(j.placements.length >= 6);
  for (const p of j.placements) {
    assert.equal(typeof p.reason.code, 'string', p.instance_id);
    assert.ok(p.reason.detail.length > 0, p.instance_id);
    assert.equal(p.instance_id, `${p.spec_id}@${p.node}`);
  }
  const notes = j.placements.filter((p) => p.spec_id === 'notes@alice').map((p) => [p.node, p.target_state, p.reason.code]);
  assert.deepEqual(notes, [['nas', 'stopped', 'replace:node-gone'], ['ood1', 'started', 'replace:node-gone']]);
  assert.deepEqual(j.nodes.find((n) => n.node === 'nas')?.status, 'gone');
});

test('the text form says where each instance is and why', () => {
  const lines = formatSnapshot(after);
  assert.match(lines[0], new RegExp(`^scheduler snapshot rev ${after.rev} at 2023-`));
  assert.ok(lines.some((l) => /^ {2}nas \(node\) gone — node:gone: devices\/nas\/info was last updated at 2023-11-14T22:14:55Z, /.test(l)), 'a time a person can read');
  assert.ok(!lines.some((l) => /\b1[6-9]\d{8}\b/.test(l)), `no raw unix timestamps:\n${lines.join('\n')}`);
  assert.ok(lines.some((l) => /^ {4}on ood1: started because replace:node-gone: moved from nas/.test(l)));
  assert.ok(lines.some((l) => /^ {2}filedrop@bob: ood1:10176$/.test(l)));
  assert.ok(lines.some((l) => /^ {2}place_instance notes@alice@ood1 because replace:node-gone/.test(l)));
});

test('the diff shows the move, the node going away and the service change, with reasons', () => {
  const d = diffSnapshotsJson(before, after);
  assert.equal(d.from, before.rev);
  assert.equal(d.to, after.rev);
  assert.deepEqual(d.changes.map((c) => c.change), ['node-status', 'instance-state', 'instance-added', 'service', 'service']);
  const lines = diffSnapshots(before, after);
  assert.ok(lines.includes(`  ~ node nas: ready → gone — ${after.nodes.nas.reason.code}: ${after.nodes.nas.reason.detail}`));
  assert.ok(lines.some((l) => l.startsWith('  ~ notes@alice on nas: started → stopped because replace:node-gone')));
  assert.ok(lines.some((l) => l.startsWith('  + notes@alice on ood1 (started) because replace:node-gone')));
  assert.ok(lines.includes('  ~ service verify-hub: live on [] → [ood1]'));
});

test('a snapshot diffed with itself has no differences', () => {
  assert.deepEqual(diffSnapshotsJson(after, after).changes, []);
  assert.deepEqual(diffSnapshots(after, after).slice(1), ['  no differences']);
});
