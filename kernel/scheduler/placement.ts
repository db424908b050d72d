// Placement = filter then score (spec 20 §5, Kubernetes-style). Every decision returns a Reason whose
// code names the filter or score term that decided it. Pure; the caller owns the shadow node state
// (free memory and instance counts decremented/incremented as this pass places instances).
import type { NodeConfig, NodeItem, NodeStatus, NodeType, Reason, SchedulerInput, SpecItem } from './types.js';
import { deviceInfoKey, nodeConfigKey } from '../api/keys.js';

export interface NodeView {
  name: string;
  item: NodeItem | undefined;
  type: NodeType;
  status: NodeStatus;
  statusReason: Reason;
  pool: string;
  /** shadow: free bytes left after this pass's placements */
  freeMem: number;
  /** shadow: started instances on this node */
  instances: number;
}

/**
 * A unix time as a person reads it (UTC, to the second). Reasons are stored in snapshots, so they hold
 * absolute times only: an age ("65 s ago") would change the snapshot at every pass.
 */
export const isoSeconds = (unixS: number) => (Number.isFinite(unixS) ? new Date(Math.floor(unixS) * 1000).toISOString().replace('.000Z', 'Z') : String(unixS));

const READY_STATES = new Set(['ready', 'running', 'active', 'online']);

/** When a node was last heard of, as far as this pass can tell (see SchedulerInput.listeningSince). */
export const lastHeard = (node: NodeItem, input: Pick<SchedulerInput, 'listeningSince'>) => Math.max(node.updateTime, input.listeningSince ?? -Infinity);

export function nodeViewOf(name: string, item: NodeItem | undefined, config: NodeConfig | undefined, now: number, goneAfterS: number, listeningSince?: number): NodeView {
  const pool = typeof config?.res_pool_id === 'string' ? config.res_pool_id : 'default';
  const base = { name, item, pool, freeMem: item ? item.totalMem - item.memUsage : 0, instances: 0 };
  if (!item) return { ...base, type: 'client', status: 'gone', statusReason: { code: 'node:no-device-info', detail: `${deviceInfoKey(name)} does not exist` } };
  const view = (status: NodeStatus, code: string, detail: string): NodeView => ({ ...base, type: item.type, status, statusReason: { code, detail } });
  if (now - lastHeard(item, { listeningSince }) > goneAfterS)
    return view('gone', 'node:gone', `${deviceInfoKey(name)} was last updated at ${isoSeconds(item.updateTime)}, more than ${goneAfterS} s before this pass`);
  if (item.type === 'client') return view('unschedulable', 'node:not-schedulable', 'this device type runs no instances (only ood, server and node devices do)');
  if (item.state !== undefined && !READY_STATES.has(item.state.toLowerCase())) return view('not-ready', 'node:not-ready', `device state is "${item.state}"`);
  if (config && config.state !== 'running') return view('not-ready', 'node:not-ready', `${nodeConfigKey(name)} state is "${config.state}"`);
  return view('ready', 'node:ready', 'device info is fresh and the node is running');
}

/** What the filters and the score read of a spec: also what a snapshot keeps, so why-not reuses them. */
export type FilterSpec = Pick<SpecItem, 'kind' | 'nodeAffinity' | 'pkgKinds' | 'requiredMemory'>;
/** What the filters and the score read of a node (NodeView has it all). */
export type FilterNode = Pick<NodeView, 'name' | 'type' | 'status' | 'pool' | 'freeMem' | 'instances'> & {
  item: Pick<NodeItem, 'arch' | 'os' | 'supportContainer' | 'totalMem'> | undefined;
};

/**
 * Which package an app instance would run on this node: `script` anywhere, `<arch>_<os>_app` on a
 * matching node, `<arch>_docker_image` where containers are supported. Returns a filter code or undefined.
 */
function platformFilter(spec: FilterSpec, node: Pick<NodeItem, 'arch' | 'os' | 'supportContainer'>): string | undefined {
  if (spec.kind === 'kernel') return undefined;
  const kinds = spec.pkgKinds;
  if (kinds.includes('script') || kinds.includes(`${node.arch}_${node.os}_app`)) return undefined;
  if (kinds.includes(`${node.arch}_docker_image`)) return node.supportContainer ? undefined : 'filter:no-container-support';
  return 'filter:arch-mismatch';
}

/**
 * Hard filters that hold an instance where it is: a failure means the instance must move. Memory is
 * deliberately not among them (a running app uses the memory it would be checked against).
 */
export function hardFilter(spec: FilterSpec, node: FilterNode, userPool: string): string | undefined {
  if (node.status === 'gone') return 'filter:node-gone';
  if (node.status === 'unschedulable') return 'filter:node-not-schedulable';
  if (node.status === 'not-ready') return 'filter:node-not-ready';
  if (spec.kind === 'kernel' && node.type !== 'ood') return 'filter:not-ood';
  if (spec.nodeAffinity !== undefined && spec.nodeAffinity !== node.name) return 'filter:affinity';
  if (spec.kind === 'app' && node.pool !== userPool) return 'filter:resource-pool';
  return platformFilter(spec, node.item!);
}

export function placeFilter(spec: FilterSpec, node: FilterNode, userPool: string): string | undefined {
  return hardFilter(spec, node, userPool) ?? (node.freeMem < spec.requiredMemory ? 'filter:insufficient-memory' : undefined);
}

const SPREAD_WEIGHT = 5;
/** Reason details are for people; past this length they are cut so the snapshot stays small. */
const MAX_DETAIL = 240;
export const clipDetail = (detail: string) => (detail.length <= MAX_DETAIL ? detail : `${detail.slice(0, MAX_DETAIL - 1)}…`);

interface Scored<N extends FilterNode = NodeView> {
  node: N;
  memPct: number;
  score: number;
}

export function scoreOf<N extends FilterNode>(spec: FilterSpec, node: N): Scored<N> {
  const total = node.item!.totalMem;
  const memPct = Math.floor((100 * (node.freeMem - spec.requiredMemory)) / total);
  return { node, memPct, score: memPct - SPREAD_WEIGHT * node.instances };
}

const describe = (s: Scored) => `${s.node.name} score ${s.score} (${s.memPct}% memory free after placement, ${s.node.instances} instances)`;

function filteredSummary(rejected: Map<string, string[]>): string {
  if (rejected.size === 0) return '';
  const parts = [...rejected.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, nodes]) => `${code}: ${nodes.slice(0, 5).join(', ')}${nodes.length > 5 ? ` and ${nodes.length - 5} more` : ''}`);
  return `; filtered out ${parts.join('; ')}`;
}

export type PlacementDecision = { node: NodeView; reason: Reason } | { node: undefined; reason: Reason };

/**
 * Picks the best node for one more instance of `spec`. `exclude` holds nodes that already host one.
 * Ties break by node name, so the same input always gives the same node.
 */
export function chooseNode(spec: SpecItem, nodes: NodeView[], exclude: ReadonlySet<string>, userPool: string): PlacementDecision {
  const rejected = new Map<string, string[]>();
  let best: Scored | undefined;
  let second: Scored | undefined;
  for (const node of nodes) {
    if (exclude.has(node.name)) continue;
    const code = placeFilter(spec, node, userPool);
    if (code) {
      const list = rejected.get(code);
      if (list) list.push(node.name);
      else rejected.set(code, [node.name]);
      continue;
    }
    const s = scoreOf(spec, node);
    if (!best || s.score > best.score || (s.score === best.score && s.node.name < best.node.name)) {
      second = best;
      best = s;
    } else if (!second || s.score > second.score || (s.score === second.score && s.node.name < second.node.name)) {
      second = s;
    }
  }
  const filtered = filteredSummary(rejected);
  if (!best) {
    const considered = nodes.length - exclude.size;
    return { node: undefined, reason: { code: 'filter:no-candidate', detail: clipDetail(`none of ${Math.max(0, considered)} nodes can run ${spec.id}${filtered}`) } };
  }
  if (!second) return { node: best.node, reason: { code: 'filter:only-candidate', detail: clipDetail(`${best.node.name} is the only node that passes every filter${filtered}`) } };
  const memEdge = best.memPct - second.memPct;
  const spreadEdge = SPREAD_WEIGHT * (second.node.instances - best.node.instances);
  const code = best.score === second.score ? 'score:tie-by-name' : memEdge >= spreadEdge ? 'score:most-free-memory' : 'score:spread';
  return { node: best.node, reason: { code, detail: clipDetail(`${describe(best)} beats ${describe(second)}${filtered}`) } };
}

export function commitPlacement(spec: SpecItem, node: NodeView): void {
  node.freeMem -= spec.requiredMemory;
  node.instances += 1;
}
