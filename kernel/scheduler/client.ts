// Typed client of the scheduler's kRPC face (/kapi/scheduler): its decisions and why, and the text
// `buckyos snapshot` prints for its answers.
import { ServiceClient, type TokenSource } from '../lib/krpc/client.js';
import type { Explanation, Reason, SchedulerMethods, SnapshotDiff, SnapshotJson } from '../api/scheduler.js';

export class SchedulerClient {
  private readonly rpc: ServiceClient<SchedulerMethods>;
  constructor(readonly url: string, token?: TokenSource, opts: { timeoutMs?: number } = {}) {
    this.rpc = new ServiceClient<SchedulerMethods>(url, { token, timeoutMs: opts.timeoutMs });
  }

  /** The current snapshot, or the kept one of revision `rev` (NOT_FOUND when it is not kept any more). */
  getSnapshot(rev?: number): Promise<SnapshotJson> {
    return this.rpc.call('get_snapshot', rev === undefined ? {} : { rev });
  }

  /** What changed from snapshot `from` to `to` (default: the current one). */
  diff(from: number, to?: number): Promise<SnapshotDiff> {
    return this.rpc.call('diff', to === undefined ? { from } : { from, to });
  }

  explain(specId: string): Promise<Explanation> {
    return this.rpc.call('explain', { spec_id: specId });
  }

  /** Runs a scheduling pass now (needs write access to the scheduler's snapshot). */
  runPass(): Promise<{ writes: number }> {
    return this.rpc.call('refresh_rbac', {});
  }
}

const why = (r: Reason) => `${r.code}: ${r.detail}`;
const time = (unixS: number) => (unixS > 0 ? new Date(Math.floor(unixS) * 1000).toISOString() : 'never');

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
