// The JSON views of snapshots the scheduler's kRPC answers with: the current placements and why, and
// what changed between two snapshots. Pure; their text form is in client.ts, beside the calls.
import type { SchedulerSnapshot } from './types.js';
import { formatSnapshotDiff, formatSnapshotJson } from './client.js';
import type { DiffStep, InputChange, PlacementJson, SnapshotDiff, SnapshotJson, SnapshotChange } from '../api/scheduler.js';
import { deviceInfoKey } from '../api/keys.js';
export type { PlacementJson, SnapshotJson, SnapshotChange };

const sorted = <T>(o: Record<string, T>) => Object.keys(o).sort().map((k) => [k, o[k]] as const);

/** The JSON form: flat lists, and a `reason` on every placement. */
export function snapshotJson(s: SchedulerSnapshot): SnapshotJson {
  const placements: PlacementJson[] = [];
  const unplaced: SnapshotJson['unplaced'] = [];
  for (const [id, p] of sorted(s.placements)) {
    for (const i of p.instances) placements.push({ spec_id: id, kind: p.kind, owner: p.owner, node: i.node, instance_id: i.instance_id, target_state: i.target_state, reason: i.reason });
    if (p.unplaced) unplaced.push({ spec_id: id, desired: p.desired, placed: p.instances.filter((i) => i.target_state === 'started').length, reason: p.unplaced });
  }
  const specs = sorted(s.placements).map(([id, p]) => ({
    spec_id: id, kind: p.kind, owner: p.owner, state: p.state, desired: p.desired,
    started: p.instances.filter((i) => i.target_state === 'started').length,
  }));
  const services: SnapshotJson['services'] = [];
  for (const [id, byNode] of sorted(s.services)) for (const [node, ports] of sorted(byNode)) services.push({ service_id: id, node, ports });
  const idle = sorted(s.services).filter(([, byNode]) => Object.keys(byNode).length === 0).map(([id]) => id);
  return {
    rev: s.rev,
    schedule_time: s.schedule_time,
    nodes: sorted(s.nodes).map(([node, n]) => ({ node, type: n.type, status: n.status, reason: n.reason })),
    specs, placements, unplaced, services, services_without_live_instance: idle, actions: s.actions, actions_total: s.actions_total, skipped: s.skipped,
  };
}

export const formatSnapshot = (s: SchedulerSnapshot): string[] => formatSnapshotJson(snapshotJson(s));

/** Structured differences from snapshot `a` (older) to `b` (newer); each carries the newer reason. */
export function diffSnapshotsJson(a: SchedulerSnapshot, b: SchedulerSnapshot): SnapshotDiff {
  const changes: SnapshotChange[] = [];
  for (const node of [...new Set([...Object.keys(a.nodes), ...Object.keys(b.nodes)])].sort()) {
    const x = a.nodes[node];
    const y = b.nodes[node];
    if (!x) changes.push({ change: 'node-added', node, status: y.status, reason: y.reason });
    else if (!y) changes.push({ change: 'node-removed', node, status: x.status, reason: x.reason });
    else if (x.status !== y.status) changes.push({ change: 'node-status', node, from: x.status, to: y.status, reason: y.reason });
  }
  for (const id of [...new Set([...Object.keys(a.placements), ...Object.keys(b.placements)])].sort()) {
    const before = new Map((a.placements[id]?.instances ?? []).map((i) => [i.node, i]));
    const after = new Map((b.placements[id]?.instances ?? []).map((i) => [i.node, i]));
    for (const node of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const x = before.get(node);
      const y = after.get(node);
      if (!x) changes.push({ change: 'instance-added', spec_id: id, node, target_state: y!.target_state, reason: y!.reason });
      else if (!y) {
        const dropped = b.actions.find((act) => act.type === 'drop_instance' && act.target === x.instance_id);
        changes.push({ change: 'instance-removed', spec_id: id, node, target_state: x.target_state, reason: dropped?.reason ?? { code: 'remove:gone-from-snapshot', detail: 'the newer snapshot no longer lists this instance' } });
      } else if (x.target_state !== y.target_state) changes.push({ change: 'instance-state', spec_id: id, node, from: x.target_state, to: y.target_state, reason: y.reason });
    }
    const wasUnplaced = a.placements[id]?.unplaced;
    const isUnplaced = b.placements[id]?.unplaced;
    if (isUnplaced && !wasUnplaced) changes.push({ change: 'unplaced', spec_id: id, reason: isUnplaced });
    if (wasUnplaced && !isUnplaced && b.placements[id]) changes.push({ change: 'placed-again', spec_id: id, reason: { code: 'placement:complete', detail: 'every wanted instance is placed' } });
  }
  for (const id of [...new Set([...Object.keys(a.services), ...Object.keys(b.services)])].sort()) {
    const from = Object.keys(a.services[id] ?? {}).sort();
    const to = Object.keys(b.services[id] ?? {}).sort();
    if (from.join() !== to.join()) changes.push({ change: 'service', service_id: id, from, to });
  }
  return { from: a.rev, to: b.rev, from_time: a.schedule_time, to_time: b.schedule_time, changes };
}

export const diffSnapshots = (a: SchedulerSnapshot, b: SchedulerSnapshot): string[] => formatSnapshotDiff(diffSnapshotsJson(a, b));

/** What the scheduler read differently in `b` than in `a` (from their facts; empty when either has none). */
export function inputChanges(a: SchedulerSnapshot, b: SchedulerSnapshot): InputChange[] {
  if (!a.facts || !b.facts) return [];
  const out: InputChange[] = [];
  const x = a.facts.specs;
  const y = b.facts.specs;
  for (const id of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    const before = x[id];
    const after = y[id];
    if (!before) out.push({ change: 'spec-added', spec_id: id, key: after.key, ...(after.version !== undefined && { version: after.version }) });
    else if (!after) out.push({ change: 'spec-removed', spec_id: id, key: before.key, ...(before.version !== undefined && { version: before.version }) });
    else if (before.digest !== after.digest || before.pool !== after.pool) {
      const fields = (['version', 'count', 'required_mem', 'affinity', 'pool'] as const).filter((f) => before[f] !== after[f]);
      if (before.pkg_kinds.join() !== after.pkg_kinds.join()) fields.push('pkg_kinds' as never);
      out.push({ change: 'spec-changed', spec_id: id, key: after.key, fields: fields.length > 0 ? fields : ['spec'], from_version: before.version, to_version: after.version });
    }
  }
  for (const node of [...new Set([...Object.keys(a.facts.nodes), ...Object.keys(b.facts.nodes)])].sort()) {
    const before = a.facts.nodes[node];
    const after = b.facts.nodes[node];
    const fields: string[] = [];
    if (!before || !after) fields.push(before ? 'removed' : 'added');
    else {
      for (const f of ['pool', 'arch', 'os', 'container', 'total_mem'] as const) if (before[f] !== after[f]) fields.push(f);
      if (a.nodes[node]?.status !== b.nodes[node]?.status) fields.push('status');
    }
    if (fields.length > 0) out.push({ change: 'node-changed', node, key: deviceInfoKey(node), fields });
  }
  return out;
}

/** The input change an action follows from: its spec's change, else its node's. */
function causeOf(target: string, inputs: InputChange[]): number | undefined {
  const at = inputs.findIndex((c) => c.change !== 'node-changed' && (target === c.spec_id || target.startsWith(`${c.spec_id}@`) || target === c.key));
  if (at >= 0) return at;
  const byNode = inputs.findIndex((c) => c.change === 'node-changed' && (target.endsWith(`@${c.node}`) || target.includes(`/${c.node}/`)));
  return byNode >= 0 ? byNode : undefined;
}

/** One step of a diff: snapshot `b` and what changed since `a`, the snapshot before it. */
export function diffStep(a: SchedulerSnapshot, b: SchedulerSnapshot): DiffStep {
  const inputs = inputChanges(a, b);
  return {
    rev: b.rev, schedule_time: b.schedule_time, inputs, actions_total: b.actions_total,
    actions: b.actions.map((act) => {
      const cause = causeOf(act.target, inputs);
      return cause === undefined ? act : { ...act, cause };
    }),
  };
}
