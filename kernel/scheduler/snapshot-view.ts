// What `buckyos snapshot [--diff REV] [--json]` prints: the current placements and why, and what
// changed between two snapshots. Pure; the scheduler's kRPC answers with the JSON forms and the CLI
// prints them with formatSnapshotJson / formatSnapshotDiff.
import type { Reason, SchedulerSnapshot } from './types.js';
import type { PlacementJson, SnapshotDiff, SnapshotJson, SnapshotChange } from '../api/scheduler.js';
export type { PlacementJson, SnapshotJson, SnapshotChange };

const why = (r: Reason) => `${r.code}: ${r.detail}`;
const time = (unixS: number) => (unixS > 0 ? new Date(Math.floor(unixS) * 1000).toISOString() : 'never');
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

/** The text `buckyos snapshot` prints, from the JSON form the scheduler's get_snapshot answers with. */
export function formatSnapshotJson(j: SnapshotJson): string[] {
  const lines = [`scheduler snapshot rev ${j.rev} at ${time(j.schedule_time)}`, '', 'nodes:'];
  if (j.nodes.length === 0) lines.push('  (none reported yet)');
  for (const n of j.nodes) lines.push(`  ${n.node} (${n.type}) ${n.status} — ${why(n.reason)}`);
  lines.push('', 'placements:');
  if (j.placements.length === 0 && j.unplaced.length === 0) lines.push('  (nothing placed)');
  for (const p of j.specs) {
    lines.push(`  ${p.spec_id} [${p.kind}, ${p.state}, ${p.started}/${p.desired} started]`);
    for (const i of j.placements) if (i.spec_id === p.spec_id) lines.push(`    on ${i.node}: ${i.target_state} because ${why(i.reason)}`);
    for (const u of j.unplaced) if (u.spec_id === p.spec_id) lines.push(`    not placed: ${why(u.reason)}`);
  }
  lines.push('', 'services (live instances):');
  const byService = new Map<string, string[]>(j.services_without_live_instance.map((id) => [id, []]));
  for (const x of j.services) {
    const nodes = byService.get(x.service_id) ?? [];
    nodes.push(`${x.node}:${x.ports.www ?? Object.values(x.ports)[0] ?? '?'}`);
    byService.set(x.service_id, nodes);
  }
  for (const [id, nodes] of [...byService].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`  ${id}: ${nodes.length > 0 ? nodes.join(', ') : '(no live instance)'}`);
  }
  lines.push('', `changes made by rev ${j.rev}:`);
  if (j.actions.length === 0) lines.push('  (none)');
  for (const a of j.actions) lines.push(`  ${a.type} ${a.target} because ${why(a.reason)}`);
  if (j.actions_total > j.actions.length) lines.push(`  … and ${j.actions_total - j.actions.length} more`);
  if (j.skipped.length > 0) {
    lines.push('', 'skipped input (fix these keys):');
    for (const k of j.skipped) lines.push(`  ${k.key}: ${k.reason}`);
  }
  return lines;
}

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

/** The text of `buckyos snapshot --diff`, from the scheduler's `diff` answer. */
export function formatSnapshotDiff(d: SnapshotDiff): string[] {
  const lines = [`changes from rev ${d.from} (${time(d.from_time)}) to rev ${d.to} (${time(d.to_time)}):`];
  if (d.changes.length === 0) lines.push('  no differences');
  for (const c of d.changes) {
    switch (c.change) {
      case 'node-added': lines.push(`  + node ${c.node} (${c.status}) — ${why(c.reason)}`); break;
      case 'node-removed': lines.push(`  - node ${c.node} — no longer known`); break;
      case 'node-status': lines.push(`  ~ node ${c.node}: ${c.from} → ${c.to} — ${why(c.reason)}`); break;
      case 'instance-added': lines.push(`  + ${c.spec_id} on ${c.node} (${c.target_state}) because ${why(c.reason)}`); break;
      case 'instance-removed': lines.push(`  - ${c.spec_id} on ${c.node} because ${why(c.reason)}`); break;
      case 'instance-state': lines.push(`  ~ ${c.spec_id} on ${c.node}: ${c.from} → ${c.to} because ${why(c.reason)}`); break;
      case 'unplaced': lines.push(`  ! ${c.spec_id} cannot be placed: ${why(c.reason)}`); break;
      case 'placed-again': lines.push(`  ✓ ${c.spec_id} is fully placed again`); break;
      case 'service': lines.push(`  ~ service ${c.service_id}: live on [${c.from.join(', ')}] → [${c.to.join(', ')}]`); break;
    }
  }
  return lines;
}
