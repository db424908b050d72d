// Record shapes the scheduler reads and writes (spec 10 §5, spec 20, spec 50 §2.1) and the types of
// its pure core: SchedulerInput → schedule() → actions, KV writes and a snapshot.
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';

/** One action of sys_config_exec_tx (spec 10 §3). create/update values are pre-serialised strings. */
export type ExecTxAction =
  | { action: 'create'; value: string }
  | { action: 'update'; value: string }
  | { action: 'append'; value: string }
  | { action: 'set_by_path'; all_set: Record<string, unknown> }
  | { action: 'remove' };

// ---- KV records ------------------------------------------------------------------------------

/** `boot/config` */
export interface ZoneConfig {
  zone_document: string;
  docker_repo_base_url?: string;
  verify_hub_info?: { public_key: Ed25519PublicJwk };
}

export type InstanceState = 'deploying' | 'notexist' | 'exited' | 'started' | 'stopped';

export interface ServiceEndpoint {
  protocol: string;
  inner_port: number;
}

export interface ServiceSpecConfig {
  service_config: Record<string, ServiceEndpoint>;
  expose_config?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface AppDoc {
  name: string;
  version?: string;
  description?: string;
  author?: string;
  /** platform/kind → package, e.g. `script`, `amd64_linux_app`, `amd64_docker_image` */
  pkg_list: Record<string, { pkg_id: string; [extra: string]: unknown }>;
  /** Ours: what an instance needs from its node. */
  requirements?: { memory?: number };
  [extra: string]: unknown;
}

/** `services/<s>/spec` */
export interface KernelServiceSpec {
  service_doc: AppDoc;
  enable: boolean;
  app_index: number;
  expected_instance_count: number;
  state: string;
  spec_config: ServiceSpecConfig;
}

/** `users/<u>/apps/<installation_id>/spec` (the fields the scheduler reads; the rest rides along). */
export interface AppServiceSpec {
  installation_id: string;
  app_doc: AppDoc;
  app_index: number;
  user_id: string;
  enable?: boolean;
  expected_instance_count?: number;
  state: string;
  spec_config: ServiceSpecConfig;
  /** Ours: a node name; a hard placement filter. */
  node_affinity?: string;
  [extra: string]: unknown;
}

export interface KernelServiceInstanceConfig {
  target_state: InstanceState;
  node_id: string;
  /** sic: "sepc" on the wire */
  service_sepc: KernelServiceSpec;
}

export interface AppServiceInstanceConfig {
  target_state: InstanceState;
  node_id: string;
  app_spec: AppServiceSpec;
  service_ports_config: Record<string, number>;
}

/** `nodes/<n>/config` */
export interface NodeConfig {
  node_id: string;
  node_did: string;
  kernel: Record<string, KernelServiceInstanceConfig>;
  apps: Record<string, AppServiceInstanceConfig>;
  frame_services: Record<string, unknown>;
  state: string;
  [extra: string]: unknown;
}

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

export interface ServiceNode {
  node_did: string;
  node_net_id?: string;
  state: InstanceState;
  weight: number;
  service_port: Record<string, number>;
}

/** `services/<s>/info`, keyed by node (spec 20 §11). */
export interface ServiceInfo {
  selector_type: 'random';
  node_list: Record<string, ServiceNode>;
}

export interface AppRoute {
  app_id: string;
  access_mode: 'public' | 'private';
  node_id: string;
  port: number;
}

export interface ServiceAlias {
  service_id: string;
  selector: Record<string, { port: number; weight: number }>;
}

export interface GatewayRoute {
  id: string;
  kind: 'direct';
  url: string;
  backup: boolean;
}

/** `nodes/<n>/gateway_info` (spec 50 §2.1) */
export interface NodeGatewayInfo {
  node_info: { this_node_id: string; this_zone_host: string };
  app_info: Record<string, AppRoute | ServiceAlias>;
  service_info: Record<string, { selector: Record<string, { port: number; weight: number }> }>;
  routes: Record<string, GatewayRoute[]>;
  trust_key: Record<string, Ed25519PublicJwk>;
}

// ---- Scheduler input -------------------------------------------------------------------------

export type NodeType = 'ood' | 'server' | 'node' | 'client';

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

export type UserType = 'root' | 'admin' | 'user' | 'limited' | 'guest';

export interface UserItem {
  id: string;
  type: UserType;
  /** the node pool this user's apps may run in; a node's pool is `res_pool_id` of its config */
  resPool: string;
}

export type SpecKind = 'kernel' | 'app';

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

export interface SkippedInput {
  key: string;
  reason: string;
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
}

// ---- Scheduler output ------------------------------------------------------------------------

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

export type NodeStatus = 'ready' | 'not-ready' | 'gone' | 'unschedulable';

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

export interface SchedulerSnapshot {
  format: 'buckyos.scheduler.snapshot.v1';
  /** +1 for every pass that changed something */
  rev: number;
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

export interface ScheduleResult {
  actions: SchedulerAction[];
  writes: Record<string, ExecTxAction>;
  snapshot: SchedulerSnapshot;
  /** false when the pass would change nothing (no writes, same snapshot body): store nothing. */
  changed: boolean;
  /** earliest unix s at which time alone changes the outcome (a report expires, a node goes) */
  nextDeadline: number | undefined;
}
