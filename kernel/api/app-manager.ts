// The app-manager's kRPC methods (/kapi/app_manager) and its install record
// (`users/<u>/apps/<installation_id>/install_record`, spec 10 §2): the lifecycle's durable state. It
// is written before the spec, carries the running task step by step, and is what a restarted OOD
// resumes from. Times are ms since the epoch unless a field says otherwise.
import type { NoParams } from './krpc.js';
import type { GcResult } from './repo.js';

/** Installation ids: what the gateway routes at /apps/<id>/ and <id>.<zone host>. */
export const INSTALLATION_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
const installationIdRe = new RegExp(INSTALLATION_ID_PATTERN);
export const isInstallationId = (s: string) => installationIdRe.test(s);
/** The installation id a first install of pkg `name` gets (pkg names may hold dots, routes may not). */
export const defaultInstallationId = (name: string) => name.replace(/\./g, '-');

export type TaskKind = 'install' | 'upgrade' | 'rollback' | 'uninstall';

/**
 * Where a task's pipeline stands (persisted, resumed after a restart):
 * prepare → switch → converge → done, and on failure of an upgrade rollback → converge-rollback → done;
 * an uninstall is remove → done.
 */
export type TaskStep = 'prepare' | 'switch' | 'converge' | 'rollback' | 'converge-rollback' | 'remove' | 'done';

export type TaskOutcome = 'succeeded' | 'failed' | 'rolled-back';

/** How a person sees the app (the `app list` state column). */
export type AppState = 'installing' | 'upgrading' | 'rolling-back' | 'uninstalling' | 'running' | 'starting' | 'rolled-back' | 'stopped' | 'failed'
  /** ours: no instance is up and its node keeps restarting it (AppListEntry.restarts says how often) */
  | 'failing';

export interface AppTask {
  id: string;
  kind: TaskKind;
  step: TaskStep;
  /** What a person sees: preparing, waiting-for-node, downloading, starting, health-check, rolling-back, restoring, removing, done, failed. */
  phase: string;
  /** The version before the task (upgrade, rollback). */
  from?: string;
  /** The version the task goes to (for uninstall: the version being removed). */
  to: string;
  /** The data snapshot taken before switching (upgrade) or restored (rollback). */
  snapshot_id?: string;
  /** Restore the snapshot when rolling back (manual rollback may keep the current data). */
  restore_data?: boolean;
  /** Bytes of the package moved to the node for this task, and the package's size. */
  bytes: number;
  total: number;
  health_timeout_ms: number;
  /** ms since the epoch */
  started_at: number;
  updated_at: number;
  /** the current wait ends here (ms since the epoch) */
  deadline_at?: number;
  /** when a report first said the new version's process is up */
  up_at?: number;
  /** observed_at (s) of the report with the first failed health probe */
  unhealthy_at?: number;
  /** what the current phase waits for, when that is worth telling (e.g. no node fits the app yet) */
  waiting_for?: string;
  outcome?: TaskOutcome;
  /** why an upgrade was rolled back */
  reason?: string;
  error?: string;
}

export interface RollbackRecord {
  from: string;
  to: string;
  reason: string;
  at: number;
  automatic: boolean;
  task_id: string;
  data_restored: boolean;
}

export interface InstallRecord {
  installation_id: string;
  user_id: string;
  pkg_name: string;
  /** The version the spec is committed to (during an upgrade: still the old one). */
  version: string;
  /** node_affinity asked for at install */
  node?: string;
  app_index: number;
  state: AppState;
  /** Set by a successful upgrade: what a manual rollback goes back to, and the data taken before it. */
  previous_version?: string;
  previous_snapshot?: string;
  last_rollback?: RollbackRecord;
  task: AppTask;
  installed_at: number;
  updated_at: number;
}

/** What `get_task` and the progress of `list_apps` return. */
export interface TaskView {
  task_id: string;
  installation_id: string;
  kind: TaskKind;
  phase: string;
  done: boolean;
  outcome?: TaskOutcome;
  from?: string;
  to: string;
  bytes: number;
  total: number;
  state: AppState;
  waiting_for?: string;
  reason?: string;
  error?: string;
}

export interface AppListEntry {
  installation_id: string;
  name: string;
  version: string;
  /** Nodes running or placed to run the app ("" while unplaced). */
  node: string;
  state: AppState;
  /** while `failing`: how many times the node restarted the app */
  restarts?: number;
  progress?: TaskView;
  last_rollback?: RollbackRecord;
  /** ours: the version a manual rollback goes back to (set by a successful upgrade) */
  previous_version?: string;
}

export interface StartedTask {
  installation_id: string;
  task_id: string;
  /** something the caller should tell the person, e.g. that a version rolled back here was skipped */
  note?: string;
}

/** `system/app_installer/rolled_back/<pkg>`: version → why and when this zone rolled it back (ours). */
export type RolledBackVersions = Record<string, { reason: string; at: number; user: string; installation_id: string }>;

export interface InstallParams {
  name: string;
  version?: string;
  node?: string;
  installation_id?: string;
  health_timeout_s?: number;
}
/** Names one app: by installation id or by pkg name (one of the two). */
export interface AppRef {
  installation_id?: string;
  name?: string;
}
export interface UpgradeParams extends AppRef {
  version?: string;
  health_timeout_s?: number;
}
export interface RollbackParams extends AppRef {
  keep_data?: boolean;
  health_timeout_s?: number;
}

export interface GcPackagesResult extends GcResult {
  /** pkg name → versions some install record still needs */
  keep: Record<string, string[]>;
}

export interface AppManagerMethods {
  install_app: { params: InstallParams; result: StartedTask };
  upgrade_app: { params: UpgradeParams; result: StartedTask };
  rollback_app: { params: RollbackParams; result: StartedTask };
  uninstall_app: { params: AppRef; result: StartedTask };
  gc_packages: { params: NoParams; result: GcPackagesResult };
  list_apps: { params: NoParams; result: AppListEntry[] };
  get_task: { params: { task_id: string }; result: TaskView };
}
