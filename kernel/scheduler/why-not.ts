// "Why not on <node>?" and the app × node matrix, answered from a snapshot with the scheduler's own
// placement code (placement.ts: the same hard filters, memory filter and score a pass applies), run
// on what the pass saw at its end (SchedulerSnapshot.facts). Pure; no second copy of any rule.
import type { CellCode, PlacementMatrix, SnapshotNodeFacts, SnapshotSpecFacts, WhyNot, WhyNotVerdict } from '../api/scheduler.js';
import { hardFilter, placeFilter, scoreOf, type FilterNode, type FilterSpec } from './placement.js';
import type { SchedulerSnapshot } from './types.js';

type Facts = NonNullable<SchedulerSnapshot['facts']>;

function nodeOf(name: string, snap: SchedulerSnapshot, facts: SnapshotNodeFacts): FilterNode {
  const n = snap.nodes[name];
  return {
    name, type: (n?.type ?? 'client'), status: n?.status ?? 'gone', pool: facts.pool, freeMem: facts.free_mem, instances: facts.instances,
    item: n?.status === 'gone' && facts.total_mem === 0 ? undefined : { arch: facts.arch, os: facts.os, supportContainer: facts.container, totalMem: facts.total_mem },
  };
}

function specOf(id: string, snap: SchedulerSnapshot, facts: SnapshotSpecFacts): FilterSpec {
  return { kind: snap.placements[id]?.kind ?? 'app', nodeAffinity: facts.affinity, pkgKinds: facts.pkg_kinds, requiredMemory: facts.required_mem };
}

/** A node a new instance could not even be considered for (what hardFilter expects to have been checked). */
const filterDetail = (code: string, node: FilterNode, spec: FilterSpec, pool: string, snap: SchedulerSnapshot): string => {
  switch (code) {
    case 'filter:node-gone': case 'filter:node-not-ready': case 'filter:node-not-schedulable':
      return snap.nodes[node.name]?.reason.detail ?? '';
    case 'filter:not-ood': return `kernel services run on OODs only; ${node.name} is a ${node.type}`;
    case 'filter:affinity': return `the app is pinned to ${spec.nodeAffinity}`;
    case 'filter:resource-pool': return `the owner's apps run in pool "${pool}"; ${node.name} is in pool "${node.pool}"`;
    case 'filter:arch-mismatch': return `no package for ${node.item?.arch}/${node.item?.os}; the app has ${spec.pkgKinds.join(', ') || 'none'}`;
    case 'filter:no-container-support': return `the app needs containers and ${node.name} has none`;
    default: return '';
  }
};

function verdictOf(snap: SchedulerSnapshot, facts: Facts, specId: string, node: string): WhyNotVerdict {
  const placement = snap.placements[specId];
  const inst = placement?.instances.find((i) => i.node === node);
  if (inst) return { verdict: 'placed', target_state: inst.target_state, reason: inst.reason };
  const sf = facts.specs[specId];
  const nf = facts.nodes[node];
  if (!sf || !nf) return { verdict: 'unknown', detail: !sf ? `the snapshot has no facts about ${specId}` : `the snapshot has no facts about ${node}` };
  const spec = specOf(specId, snap, sf);
  const view = nodeOf(node, snap, nf);
  const hard = hardFilter(spec, view, sf.pool);
  if (hard) return { verdict: 'filtered', filter: hard, detail: filterDetail(hard, view, spec, sf.pool, snap) };
  if (placeFilter(spec, view, sf.pool)) return { verdict: 'short', resource: 'memory', need: sf.required_mem, free: nf.free_mem };
  const s = scoreOf(spec, view);
  const started = placement?.instances.filter((i) => i.target_state === 'started') ?? [];
  const chosen = started.map((i) => {
    const other = facts.nodes[i.node];
    // The hosting node already counts this instance; its score without it is what the choice compared.
    const score = other ? scoreOf(spec, { ...nodeOf(i.node, snap, other), freeMem: other.free_mem + sf.required_mem, instances: other.instances - 1 }).score : undefined;
    return { node: i.node, ...(score !== undefined && { score }), reason: i.reason };
  });
  return { verdict: 'not-chosen', score: s.score, mem_pct: s.memPct, instances: nf.instances, enough: started.length >= (placement?.desired ?? 0), chosen };
}

export function whyNot(snap: SchedulerSnapshot, specId: string, node: string): WhyNot {
  const placement = snap.placements[specId];
  const facts = snap.facts ?? { nodes: {}, specs: {} };
  return {
    rev: snap.rev, spec_id: specId, node, desired: placement?.desired ?? 0,
    placed_on: (placement?.instances ?? []).filter((i) => i.target_state === 'started').map((i) => i.node),
    verdict: verdictOf(snap, facts, specId, node),
  };
}

const cellOf = (v: WhyNotVerdict): CellCode => {
  switch (v.verdict) {
    case 'placed': return v.target_state === 'started' ? 'placed' : 'stopped';
    case 'filtered': return v.filter as CellCode;
    case 'short': return 'short:memory';
    case 'not-chosen': return `score:${v.score}`;
    case 'unknown': return 'unknown';
  }
};

/** Every spec × every node of a snapshot; apps first, then kernel services, each by id. */
export function placementMatrix(snap: SchedulerSnapshot): PlacementMatrix {
  const facts = snap.facts ?? { nodes: {}, specs: {} };
  const nodes = Object.keys(snap.nodes).sort();
  const ids = Object.keys(snap.placements).sort((a, b) => {
    const ka = snap.placements[a].kind;
    const kb = snap.placements[b].kind;
    return ka === kb ? (a < b ? -1 : a > b ? 1 : 0) : ka === 'app' ? -1 : 1;
  });
  return {
    rev: snap.rev, schedule_time: snap.schedule_time, nodes,
    specs: ids.map((id) => {
      const p = snap.placements[id];
      return { spec_id: id, kind: p.kind, owner: p.owner, desired: p.desired, started: p.instances.filter((i) => i.target_state === 'started').length };
    }),
    cells: ids.map((id) => nodes.map((n) => cellOf(verdictOf(snap, facts, id, n)))),
  };
}
