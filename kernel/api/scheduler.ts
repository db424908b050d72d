// The scheduler's snapshot (KV `system/scheduler/snapshot`, `system/scheduler/history/<rev>`) and its
// kRPC face (/kapi/scheduler): what it decided and why.
import type { NoParams } from './krpc.js';
import type { InstanceState } from './zone.js';

export type NodeType = 'ood' | 'server' | 'node' | 'client';
export type NodeStatus = 'ready' | 'not-ready' | 'gone' | 'unschedulable';
export type SpecKind = 'kernel' | 'app';

/** Machine-readable why: `filter:<name>`, `score:<name>`, `replace:<why>`, `keep:<why>`, … */
export interface Reason {
  code: string;
  detail: string;
}

export type ActionType =
  | 'place_instance'
  | 'start_instance'
  | 'stop_instance'
  | 'drop_instance'
  | 'update_instance'
  | 'set_spec_state'
  | 'create_node_config'
  | 'update_service_info'
  | 'remove_service_info'
  | 'update_rbac'
  | 'update_gateway_info';

export interface SchedulerAction {
  type: ActionType;
  /** what the action is about: an instance id, a spec id, a node or a KV key */
  target: string;
  reason: Reason;
}

export interface SkippedInput {
  key: string;
  reason: string;
}

export interface SnapshotInstance {
  node: string;
  instance_id: string;
  target_state: InstanceState;
  reason: Reason;
}

export interface SnapshotPlacement {
  kind: SpecKind;
  owner: string;
  state: string;
  desired: number;
  instances: SnapshotInstance[];
  /** set when fewer than `desired` instances could be placed */
  unplaced?: Reason;
}

/** A node as the filters and the score saw it at the end of the pass (ours: for the why-not). */
export interface SnapshotNodeFacts {
  pool: string;
  arch: string;
  os: string;
  container: boolean;
  /** bytes */
  total_mem: number;
  /** bytes left after this pass's placements */
  free_mem: number;
  /** started instances after this pass */
  instances: number;
}

/** A spec as the filters read it, and what identifies its version (ours: for the why-not and the diff). */
export interface SnapshotSpecFacts {
  /** KV key of the spec */
  key: string;
  pool: string;
  /** bytes */
  required_mem: number;
  count: number;
  affinity?: string;
  pkg_kinds: string[];
  /** app_doc / service_doc version */
  version?: string;
  /** short digest of the stored spec without its `state` (the pass moves that): any other change changes this */
  digest: string;
}

/** The stored snapshot (KV value). */
export interface SchedulerSnapshot {
  format: 'buckyos.scheduler.snapshot.v1';
  /** +1 for every pass that changed something */
  rev: number;
  /** unix s */
  schedule_time: number;
  nodes: Record<string, { type: NodeType; status: NodeStatus; reason: Reason }>;
  placements: Record<string, SnapshotPlacement>;
  /** service id → node → ports, from live reports */
  services: Record<string, Record<string, Record<string, number>>>;
  /** the actions of the pass that wrote this snapshot (the first MAX_SNAPSHOT_ACTIONS of them) */
  actions: SchedulerAction[];
  actions_total: number;
  skipped: SkippedInput[];
  /**
   * Ours: what the pass's filters and score read, so any kept snapshot can answer "why not on <node>?"
   * with the scheduler's own filter functions, and a diff can name the input change behind an action.
   * Not compared when deciding whether a pass changed anything (free memory moves all the time).
   */
  facts?: { nodes: Record<string, SnapshotNodeFacts>; specs: Record<string, SnapshotSpecFacts> };
}

// ---- the kRPC view: flat lists, a reason on every placement ------------------------------------

export interface PlacementJson {
  spec_id: string;
  kind: string;
  owner: string;
  node: string;
  instance_id: string;
  target_state: string;
  reason: Reason;
}

export interface UnplacedJson {
  spec_id: string;
  desired: number;
  placed: number;
  reason: Reason;
}

export interface SpecJson {
  spec_id: string;
  kind: SpecKind;
  owner: string;
  state: string;
  desired: number;
  /** instances placed with target state `started` */
  started: number;
}

export interface SnapshotJson {
  rev: number;
  schedule_time: number;
  nodes: Array<{ node: string; type: string; status: string; reason: Reason }>;
  /** every spec the snapshot places, by spec id */
  specs: SpecJson[];
  placements: PlacementJson[];
  unplaced: UnplacedJson[];
  services: Array<{ service_id: string; node: string; ports: Record<string, number> }>;
  /** services that have info but no live instance */
  services_without_live_instance: string[];
  actions: SchedulerAction[];
  /** how many actions the pass took; `actions` holds the first ones */
  actions_total: number;
  skipped: SkippedInput[];
  /** get_snapshot only: the revisions kept in the history, oldest first (what `diff` can compare) */
  kept_revisions?: number[];
}

export type SnapshotChange =
  | { change: 'node-added' | 'node-removed'; node: string; status: string; reason: Reason }
  | { change: 'node-status'; node: string; from: string; to: string; reason: Reason }
  | { change: 'instance-added' | 'instance-removed'; spec_id: string; node: string; target_state: string; reason: Reason }
  | { change: 'instance-state'; spec_id: string; node: string; from: string; to: string; reason: Reason }
  | { change: 'unplaced' | 'placed-again'; spec_id: string; reason: Reason }
  | { change: 'service'; service_id: string; from: string[]; to: string[] };

/** An input the scheduler read that differs between two snapshots (from their `facts`). */
export type InputChange =
  | { change: 'spec-added' | 'spec-removed'; spec_id: string; key: string; version?: string }
  | { change: 'spec-changed'; spec_id: string; key: string; from_version?: string; to_version?: string; fields: string[] }
  | { change: 'node-changed'; node: string; key: string; fields: string[] };

/** One pass between the two snapshots: what it read differently and what it did about it. */
export interface DiffStep {
  rev: number;
  schedule_time: number;
  /** what the pass did; `cause` is the index in `inputs` of the input change behind the action, when one is */
  actions: Array<SchedulerAction & { cause?: number }>;
  actions_total: number;
  inputs: InputChange[];
}

export interface SnapshotDiff {
  from: number;
  to: number;
  /** schedule_time (unix s) of the two snapshots */
  from_time: number;
  to_time: number;
  changes: SnapshotChange[];
  /** Ours: the input changes from `from` to `to` (from the snapshots' facts). */
  inputs?: InputChange[];
  /** Ours: every kept pass after `from` up to `to`, oldest first, each action tied to its input change. */
  steps?: DiffStep[];
}

// ---- why not: the scheduler's own filters and score, applied to a snapshot's facts -------------

/** What one app × node cell says (compact, for a matrix of 1,000 × 50). */
export type CellCode =
  | 'placed'           // an instance runs (target started) here
  | 'stopped'          // an instance is configured here but stopped
  | `filter:${string}` // a hard filter refuses this node (the code names which)
  | 'short:memory'     // passes every filter but has too little free memory
  | `score:${number}`  // could run here; the score it would get now
  | 'unknown';         // the snapshot has no facts for this cell (an older snapshot)

export interface PlacementMatrix {
  rev: number;
  schedule_time: number;
  nodes: string[];
  specs: Array<{ spec_id: string; kind: SpecKind; owner: string; desired: number; started: number }>;
  /** cells[i][j]: spec i on node j */
  cells: CellCode[][];
}

export type WhyNotVerdict =
  | { verdict: 'placed'; target_state: string; reason: Reason }
  | { verdict: 'filtered'; filter: string; detail: string }
  | { verdict: 'short'; resource: 'memory'; need: number; free: number }
  | { verdict: 'not-chosen'; score: number; mem_pct: number; instances: number; enough: boolean; chosen: Array<{ node: string; score?: number; reason: Reason }> }
  | { verdict: 'unknown'; detail: string };

export interface WhyNot {
  rev: number;
  spec_id: string;
  node: string;
  desired: number;
  /** nodes with a started instance of the spec */
  placed_on: string[];
  verdict: WhyNotVerdict;
}

export interface Explanation {
  rev: number;
  placements: PlacementJson[];
  unplaced: UnplacedJson[];
}

export interface SchedulerMethods {
  /** The current snapshot, or the kept one of revision `rev`. */
  get_snapshot: { params: { rev?: number }; result: SnapshotJson };
  /** From snapshot `from` to `to` (default: the current one). */
  diff: { params: { from: number; to?: number }; result: SnapshotDiff };
  /** "Why is this app on the NAS?": every placement of one spec with its reason. */
  explain: { params: { spec_id: string }; result: Explanation };
  /** Ours: the app × node matrix of the current (or a kept) snapshot, from the scheduler's own filters. */
  matrix: { params: { rev?: number }; result: PlacementMatrix };
  /** Ours: "why not on <node>?" for one spec, from the same filters and score as placement. */
  why_not: { params: { spec_id: string; node: string; rev?: number }; result: WhyNot };
  /** Upstream's name for "recompute now"; one pass derives placements, service info, RBAC and routes. */
  refresh_rbac: { params: NoParams; result: { writes: number } };
}
