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

export interface SnapshotDiff {
  from: number;
  to: number;
  /** schedule_time (unix s) of the two snapshots */
  from_time: number;
  to_time: number;
  changes: SnapshotChange[];
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
  /** Upstream's name for "recompute now"; one pass derives placements, service info, RBAC and routes. */
  refresh_rbac: { params: NoParams; result: { writes: number } };
}
