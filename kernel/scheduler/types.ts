// Record shapes the scheduler reads and writes (spec 10 §5, spec 20, spec 50 §2.1) and the types of
// its pure core: SchedulerInput → schedule() → actions, KV writes and a snapshot.
import type { KvTxAction, ZoneConfig, InstanceState, ServiceEndpoint, ServiceSpecConfig, AppDoc, KernelServiceSpec, AppServiceSpec, KernelServiceInstanceConfig, AppServiceInstanceConfig, NodeConfig, ServiceNode, ServiceInfo, AppRoute, ServiceAlias, GatewayRoute, NodeGatewayInfo, UserType } from '../api/zone.js';
import type { NodeType, SpecKind, Reason, ActionType, SchedulerAction, NodeStatus, SnapshotInstance, SnapshotPlacement, SchedulerSnapshot, SkippedInput } from '../api/scheduler.js';
export type { NodeType, SpecKind, Reason, ActionType, SchedulerAction, NodeStatus, SnapshotInstance, SnapshotPlacement, SchedulerSnapshot, SkippedInput };

export type { ZoneConfig, InstanceState, ServiceEndpoint, ServiceSpecConfig, AppDoc, KernelServiceSpec, AppServiceSpec, KernelServiceInstanceConfig, AppServiceInstanceConfig, NodeConfig, ServiceNode, ServiceInfo, AppRoute, ServiceAlias, GatewayRoute, NodeGatewayInfo, UserType };

/** One action of sys_config_exec_tx (kernel/api KvTxAction). */
export type ExecTxAction = KvTxAction;

// ---- KV records ------------------------------------------------------------------------------

/** `services/<s>/instances/<node>` */
export interface ServiceInstanceReport {
  instance_id: string;
  node_id?: string;
  node_did?: string;
  state: InstanceState;
  service_ports: Record<string, number>;
  last_update_time: number;
  expires_at?: number;
  [extra: string]: unknown;
}

// ---- Scheduler input -------------------------------------------------------------------------

export interface NodeItem {
  name: string;
  did: string;
  type: NodeType;
  /** DeviceInfo.state; undefined means ready (as upstream). */
  state: string | undefined;
  arch: string;
  os: string;
  totalMem: number;
  memUsage: number;
  supportContainer: boolean;
  netId: string | undefined;
  /** Addresses for routes: the signed doc's `ips` when present, else the sorted `all_ip`. */
  ips: string[];
  updateTime: number;
  /** ours: the node-daemon run that writes this heartbeat (node_session_id) */
  sessionId: string | undefined;
}

export interface UserItem {
  id: string;
  type: UserType;
  /** the node pool this user's apps may run in; a node's pool is `res_pool_id` of its config */
  resPool: string;
}

export interface SpecItem {
  /** kernel: `<service>`; app: `<installation_id>@<user>` */
  id: string;
  kind: SpecKind;
  /** KV key of the spec itself */
  key: string;
  owner: string;
  /** installation id for apps, service name for kernel specs */
  appId: string;
  appIndex: number;
  state: string;
  enabled: boolean;
  count: number;
  requiredMemory: number;
  pkgKinds: string[];
  nodeAffinity: string | undefined;
  ports: Record<string, number>;
  /** The spec object as stored, embedded into node configs. */
  raw: KernelServiceSpec | AppServiceSpec;
}

export interface ReportItem {
  specId: string;
  node: string;
  state: string;
  ports: Record<string, number>;
  nodeDid: string | undefined;
  /** node_session_id: the node-daemon run that wrote it */
  sessionId: string | undefined;
  /**
   * Unix s after which the report no longer counts: its expires_at, except that a report of the
   * session named in its node's heartbeat lives as long as that heartbeat, and no report outlives
   * its node's heartbeat (a node gone takes its instances with it).
   */
  liveUntil: number;
}

export interface SchedulerInput {
  zone: { host: string; oods: string[] };
  nodes: Record<string, NodeItem>;
  users: Record<string, UserItem>;
  specs: Record<string, SpecItem>;
  /** spec id → node → report */
  reports: Record<string, Record<string, ReportItem>>;
  /** node → its current config (parsed) */
  nodeConfigs: Record<string, NodeConfig>;
  /** `services/gateway/settings` shortcuts: host key → service id */
  gatewayShortcuts: Record<string, string>;
  /** Current raw values of the RBAC policy, services/<s>/info and nodes/<n>/gateway_info, for the changed-only diff. */
  current: Record<string, string>;
  /** The stored node configs exactly as parsed (before any cleaning), for a cheap deep comparison. */
  currentNodeConfigs: Record<string, unknown>;
  skipped: SkippedInput[];
  /** A node whose info is older than this (s) is gone. */
  goneAfterS: number;
  /**
   * Unix s since when the scheduler has been able to hear heartbeats (its start, or its last wake from
   * sleep or a clock jump): silence from before then proves nothing, so no node counts as silent for
   * longer than since then.
   */
  listeningSince?: number;
}

// ---- Scheduler output ------------------------------------------------------------------------

export interface ScheduleResult {
  actions: SchedulerAction[];
  writes: Record<string, ExecTxAction>;
  snapshot: SchedulerSnapshot;
  /** false when the pass would change nothing (no writes, same snapshot body): store nothing. */
  changed: boolean;
  /** earliest unix s at which time alone changes the outcome (a report expires, a node goes) */
  nextDeadline: number | undefined;
}
