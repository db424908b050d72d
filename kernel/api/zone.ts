// The shapes of the zone's KV values (spec 10 §5, spec 20, spec 50 §2.1) and the KV port every
// service reads and writes them through. Each value has one type here; its key has one builder in
// keys.ts.
import type { Ed25519PublicJwk } from './identity.js';
import type { WatchEvent, WatchLoop, WatchLoopOptions } from './system-config.js';

// ---- the KV port -----------------------------------------------------------------------------

/** A value with its revision (`version` on the wire, spec 10 §3). */
export interface KvValue {
  value: string;
  version: number;
}

/** One action of sys_config_exec_tx (spec 10 §3). create/update/append values are pre-serialised strings. */
export type KvTxAction =
  | { action: 'create'; value: string }
  | { action: 'update'; value: string }
  | { action: 'append'; value: string }
  | { action: 'set_by_path'; all_set: Record<string, unknown> }
  | { action: 'remove' };

/** The key must be at this revision for a transaction to apply. */
export interface RevisionCondition {
  key: string;
  revision: number;
}

/**
 * What a service needs from system-config. SystemConfigClient implements it over kRPC; a service
 * takes the narrowest `Pick<KvPort, …>` it uses, so a test can hand it any implementation.
 */
export interface KvPort {
  get(key: string): Promise<KvValue | null>;
  set(key: string, value: string): Promise<void>;
  create(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Direct child names below `key`. */
  list(key: string): Promise<string[]>;
  /** All-or-nothing; with mainKey it fails with VERSION_CONFLICT when that key's revision moved. */
  execTx(actions: Record<string, KvTxAction>, mainKey?: RevisionCondition, conditions?: RevisionCondition[]): Promise<void>;
  /** Every key the scheduler reads (scheduler and node-daemon tokens only). */
  dump(): Promise<Record<string, string>>;
  /** The change feed under `prefix`: long-polls sys_config_watch, resyncs after lost history or errors. */
  watchLoop(prefix: string, onChange: (event: WatchEvent) => void | Promise<void>, opts?: WatchLoopOptions): WatchLoop;
}

// ---- boot/config -----------------------------------------------------------------------------

export interface VerifyHubInfo {
  public_key: Ed25519PublicJwk;
}

/** The internal ZoneConfig stored at `boot/config`. */
export interface ZoneConfig {
  /** The ZoneDocument JWT (readers also accept JSON-LD or a boot document, spec 40 §5). */
  zone_document: string;
  docker_repo_base_url?: string;
  verify_hub_info?: VerifyHubInfo;
}

// ---- users/<u>/settings ------------------------------------------------------------------------

export type UserType = 'root' | 'admin' | 'user' | 'limited' | 'guest';
export type UserState = 'active' | 'suspended' | 'disabled' | string;

export interface UserSettings {
  user_id: string;
  type: UserType;
  state: UserState;
  res_pool_id: string;
  is_local?: boolean;
  [extra: string]: unknown;
}

export interface UserProfile {
  name: string;
  full_name: string;
  create_time: number;
  [extra: string]: unknown;
}

// ---- specs -------------------------------------------------------------------------------------

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

export interface AppPkgSlot {
  pkg_id?: string;
  docker_image_name?: string;
  [extra: string]: unknown;
}

export interface AppDoc {
  name: string;
  version?: string;
  description?: string;
  author?: string;
  /** platform/kind → package, e.g. `script`, `amd64_linux_app`, `amd64_docker_image` */
  pkg_list: Record<string, AppPkgSlot>;
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

/** Ours: which rollout an app spec is, echoed by the instance report (docs/app-lifecycle.md). */
export interface Deployment {
  installation_id: string;
  task_id: string;
  pkg_id: string;
}

/** Ours: take or restore the app's data before the new process starts, once per op id. */
export interface DataSnapshotRequest {
  op_id: string;
  action: 'take' | 'restore';
  snapshot_id: string;
}

/** `users/<u>/apps/<installation_id>/spec` */
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
  deployment?: Deployment;
  data_snapshot?: DataSnapshotRequest;
  [extra: string]: unknown;
}

// ---- nodes/<n>/config --------------------------------------------------------------------------

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

/** `nodes/<n>/config`, written by the scheduler, converged to by that node's node-daemon. */
export interface NodeConfig {
  node_id: string;
  node_did: string;
  kernel: Record<string, KernelServiceInstanceConfig>;
  apps: Record<string, AppServiceInstanceConfig>;
  frame_services: Record<string, unknown>;
  state: string;
  [extra: string]: unknown;
}

// ---- services/<s>/instances/<node> -------------------------------------------------------------

export type Health = 'healthy' | 'unhealthy' | 'unknown';

export interface InstallProgressReport {
  phase: string;
  bytes: number;
  total: number;
  /** the last figures of every phase so far, so a phase that ended between two writes is not lost */
  by_phase: Record<string, { bytes: number; total: number }>;
}

/** `services/<spec_id>/instances/<node>`, written by node-daemon for every instance it runs. Times in unix s. */
export interface ServiceInstanceReport {
  instance_id: string;
  node_id: string;
  node_did: string;
  state: InstanceState;
  service_ports: Record<string, number>;
  pid: number;
  start_time: number;
  last_update_time: number;
  observed_at: number;
  expires_at: number;
  instance_epoch: string;
  node_session_id: string;
  health: Health;
  deployment_error?: { code: string; message: string };
  /** ours: the app spec's `deployment` this instance runs (or is deploying) */
  deployment?: Deployment;
  /** ours: the latest package install progress of that deployment */
  progress?: InstallProgressReport;
  /** ours: how many times the node restarted this instance after it exited */
  restarts?: number;
}

// ---- services/<s>/info -------------------------------------------------------------------------

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

// ---- nodes/<n>/gateway_info --------------------------------------------------------------------

export interface AppRoute {
  app_id: string;
  access_mode: 'public' | 'private';
  node_id: string;
  port: number;
  /** ours: the owner exposed the app on the zone gateway (reachable from outside); absent = not exposed */
  exposed?: boolean;
}

export interface ServiceAlias {
  service_id: string;
  selector: Record<string, { port: number; weight: number }>;
}

export interface GatewayRoute {
  id: string;
  /** `rtcp_direct` (upstream's kind): `rtcp://<node>/`, the node's gateway through an rtcp tunnel; `direct`: plain HTTP (before issue 12). */
  kind: 'direct' | 'rtcp_direct' | 'rtcp_relay';
  url: string;
  backup: boolean;
  /** Ours: the node's addresses as hints for the tunnel (upstream's rtcp finds them by discovery and DNS). */
  addresses?: string[];
}

/** `nodes/<n>/gateway_info` (spec 50 §2.1) */
export interface NodeGatewayInfo {
  node_info: { this_node_id: string; this_zone_host: string };
  app_info: Record<string, AppRoute | ServiceAlias>;
  service_info: Record<string, { selector: Record<string, { port: number; weight: number }> }>;
  routes: Record<string, GatewayRoute[]>;
  trust_key: Record<string, Ed25519PublicJwk>;
}

/** `services/gateway/settings` */
export interface GatewaySettings {
  /** host key → service id */
  shortcuts?: Record<string, string>;
  [extra: string]: unknown;
}
