// Pure helpers over install records: reading them safely, what a task looks like to a person, and the
// state `app list` shows (the record's task while one runs, the instance reports once it is done).
import type { AppListEntry, AppState, AppTask, InstallRecord, TaskView } from './types.js';
import type { RolledBackVersions } from '../api/app-manager.js';
import type { InstanceReportView } from './rollout.js';
import { isPlainObject } from '../lib/json.js';


/** An install record from KV text, or undefined when the text is not one of ours. */
export function parseInstallRecord(text: string | undefined): InstallRecord | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(v) || typeof v.installation_id !== 'string' || typeof v.pkg_name !== 'string' || typeof v.version !== 'string') return undefined;
  const task = v.task;
  if (!isPlainObject(task) || typeof task.id !== 'string' || typeof task.kind !== 'string' || typeof task.step !== 'string') return undefined;
  return v as unknown as InstallRecord;
}

/** The versions a zone rolled back (system/app_installer/rolled_back/<pkg>); empty when unset or unreadable. */
export function parseRolledBack(text: string | undefined): RolledBackVersions {
  let v: unknown;
  try {
    v = text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
  return isPlainObject(v) ? (v as RolledBackVersions) : {};
}

export const taskActive = (t: AppTask) => t.step !== 'done';

/** The state of an app while its task runs. */
export function taskState(t: AppTask): AppState {
  switch (t.kind) {
    case 'install': return 'installing';
    case 'uninstall': return 'uninstalling';
    case 'rollback': return 'rolling-back';
    case 'upgrade': return t.step === 'rollback' || t.step === 'converge-rollback' ? 'rolling-back' : 'upgrading';
  }
}

const liveReports = (reports: Record<string, InstanceReportView>, nowMs: number) =>
  Object.entries(reports).filter(([, r]) => (typeof r.expires_at === 'number' ? r.expires_at * 1000 > nowMs : true));

/** The most restarts a live report of the app counts (0 when none says). */
const restartsOf = (live: InstanceReportView[]) =>
  Math.max(0, ...live.map((r) => (typeof r.restarts === 'number' && Number.isFinite(r.restarts) ? r.restarts : 0)));

/** What `app list` shows: the running task, else what the nodes report, coloured by how the last task ended. */
export function appStateOf(record: InstallRecord, reports: Record<string, InstanceReportView>, nowMs: number): AppState {
  if (taskActive(record.task)) return taskState(record.task);
  const live = liveReports(reports, nowMs).map(([, r]) => r);
  const started = live.filter((r) => r.state === 'started');
  if (started.length > 0) {
    if (started.every((r) => r.health === 'unhealthy')) return 'failed';
    return record.state === 'rolled-back' ? 'rolled-back' : 'running';
  }
  // A node restarting a crashing app passes through "deploying" every few seconds: that is not starting.
  if (restartsOf(live) > 0) return 'failing';
  if (live.some((r) => r.state === 'deploying')) return 'starting';
  if (live.some((r) => r.state === 'exited') || record.state === 'failed') return 'failed';
  return 'stopped';
}

/** Nodes that report the app (running first), else the node it was asked to run on. */
export function appNodesOf(record: Pick<InstallRecord, 'node'> | undefined, reports: Record<string, InstanceReportView>, nowMs: number): string {
  const live = liveReports(reports, nowMs).sort(([a, ra], [b, rb]) => Number(rb.state === 'started') - Number(ra.state === 'started') || (a < b ? -1 : 1));
  return live.length > 0 ? live.map(([n]) => n).join(',') : record?.node ?? '';
}

export function taskView(record: InstallRecord, state: AppState): TaskView {
  const t = record.task;
  const view: TaskView = {
    task_id: t.id,
    installation_id: record.installation_id,
    kind: t.kind,
    phase: t.phase,
    done: !taskActive(t),
    to: t.to,
    bytes: t.bytes,
    total: t.total,
    state,
  };
  if (t.outcome) view.outcome = t.outcome;
  if (t.from) view.from = t.from;
  if (t.waiting_for) view.waiting_for = t.waiting_for;
  if (t.reason) view.reason = t.reason;
  if (t.error) view.error = t.error;
  return view;
}

export function listEntryOf(record: InstallRecord, reports: Record<string, InstanceReportView>, nowMs: number): AppListEntry {
  const state = appStateOf(record, reports, nowMs);
  const entry: AppListEntry = {
    installation_id: record.installation_id,
    name: record.pkg_name,
    version: record.version,
    node: appNodesOf(record, reports, nowMs),
    state,
  };
  if (state === 'failing') entry.restarts = restartsOf(liveReports(reports, nowMs).map(([, r]) => r));
  if (taskActive(record.task)) entry.progress = taskView(record, state);
  if (record.last_rollback) entry.last_rollback = record.last_rollback;
  if (record.previous_version) entry.previous_version = record.previous_version;
  return entry;
}
