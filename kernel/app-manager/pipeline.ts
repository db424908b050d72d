// The lifecycle pipeline: drives each app's task from its install record, one step at a time, every
// step ending in one exec_tx that also moves the record on (conditioned on the record's revision, so
// a request that changed the record meanwhile wins and the pipeline re-reads). All state is in KV: a
// restarted OOD resumes every unfinished task where it stood.
//
//   install:   prepare (repo ready; index + spec + record in one tx) → converge → done
//   upgrade:   prepare (repo ready) → switch (spec: new version + "take a data snapshot") → converge
//              → done, or on failure/timeout: rollback (spec: old version + "restore the snapshot")
//              → converge-rollback → done (rolled back)
//   rollback:  rollback → converge-rollback → done
//   uninstall: remove (delete the spec, wait for the instance to stop, delete the record) → done
import { setTimeout as sleep } from 'node:timers/promises';
import { appSpecIdOf, rolledBackVersionsKey, SCHEDULER_SNAPSHOT_KEY } from '../api/keys.js';
import type { RolledBackVersions } from '../api/app-manager.js';
import { describeError, isKrpcError, KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { SystemConfigClient, TxAction } from '../system-config/client.js';
import { AppKv, type Versioned } from './app-kv.js';
import { parseRolledBack, taskView } from './records.js';
import type { AppRepo, ResolvedPkg } from './repo.js';
import { judgeRollout, type RolloutVerdict } from './rollout.js';
import {
  APP_INDEX_SEQ_KEY, FIRST_APP_INDEX, MAX_APP_INDEX, appSpecKey, buildAppSpec, installRecordKey, instancesPrefix, type DataSnapshotRequest,
} from './spec.js';
import type { AppState, AppTask, InstallRecord, TaskView } from './types.js';
import type { Clock } from '../lib/clock.js';

export interface PipelineOptions {
  /** system-config with the app-manager's own token */
  kv: SystemConfigClient;
  repo: AppRepo;
  log: Logger;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** How long a new version may take to be placed, downloaded and started (default 10 min). */
  deployTimeoutMs?: number;
  /** How long an uninstall waits for the instance to stop (default 60 s). */
  removeTimeoutMs?: number;
}

const TRANSIENT = new Set(['UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED']);
const RETRY_MS = 1000;
const CONFLICT_RETRY_MS = 20;
/** Progress (bytes) is written to the record at most this often; phase changes at once. */
const PROGRESS_WRITE_MS = 500;
/** Longest single watch wait, so deadlines and pokes are never missed by much. */
const WATCH_SLICE_MS = 5000;
/** While nothing reports yet, the scheduler's snapshot says why, read at most this often. */
const PLACEMENT_CHECK_MS = 2000;
const FINISHED_KEPT = 200;

interface Runner {
  again: boolean;
  poke: AbortController;
}

/** What a failed step leads to. */
type Failure = { kind: 'rollback'; reason: string } | { kind: 'failed'; error: string; state: AppState };

const rollbackTarget = (t: AppTask) => (t.kind === 'upgrade' ? t.from! : t.to);
const deploymentIdOf = (t: AppTask) => (t.step === 'converge-rollback' ? `${t.id}:rollback` : t.id);

export class AppPipeline {
  private readonly apps: AppKv;
  private readonly now: () => number;
  private readonly deployTimeoutMs: number;
  private readonly removeTimeoutMs: number;
  private readonly runners = new Map<string, Runner>();
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly finished = new Map<string, { user: string; view: TaskView }>();
  private readonly resolved = new Map<string, ResolvedPkg>();

  constructor(private readonly o: PipelineOptions) {
    this.apps = new AppKv(o.kv);
    this.now = o.now ?? Date.now;
    this.deployTimeoutMs = o.deployTimeoutMs ?? 10 * 60_000;
    this.removeTimeoutMs = o.removeTimeoutMs ?? 60_000;
  }

  /** Makes sure the task of one app is being driven (and wakes a runner that waits). */
  kick(user: string, id: string): void {
    if (this.stopping.signal.aborted) return;
    const key = `${user}/${id}`;
    const existing = this.runners.get(key);
    if (existing) {
      existing.again = true;
      existing.poke.abort();
      return;
    }
    const runner: Runner = { again: false, poke: new AbortController() };
    this.runners.set(key, runner);
    const done = (async () => {
      do {
        runner.again = false;
        await this.drive(user, id, runner).catch((e) => this.o.log.error('app pipeline stopped unexpectedly', { app: key, err: describeError(e) }));
      } while (runner.again && !this.stopping.signal.aborted);
      this.runners.delete(key);
    })();
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  /** Finds every unfinished task in KV and drives it (at start-up). */
  async resumeAll(): Promise<number> {
    let resumed = 0;
    for (const user of await this.apps.users()) {
      for (const id of await this.apps.appIds(user)) {
        const cur = await this.apps.record(user, id);
        if (cur && cur.value.task.step !== 'done') {
          this.kick(user, id);
          resumed++;
        }
      }
    }
    return resumed;
  }

  /** A task whose record is gone (a finished uninstall), for get_task. */
  finishedTask(user: string, taskId: string): TaskView | undefined {
    const f = this.finished.get(taskId);
    return f && f.user === user ? f.view : undefined;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const r of this.runners.values()) r.poke.abort();
    await Promise.all([...this.running]);
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async drive(user: string, id: string, runner: Runner): Promise<void> {
    let retryMs = 0;
    while (!this.stopped) {
      if (retryMs > 0) await sleep(retryMs, undefined, { signal: this.stopping.signal }).catch(() => {});
      runner.poke = new AbortController();
      let cur: Versioned<InstallRecord> | undefined;
      try {
        cur = await this.apps.record(user, id);
        if (!cur || cur.value.task.step === 'done') return;
        await this.step(user, id, cur, runner);
        retryMs = 0;
      } catch (e) {
        if (this.stopped) return;
        if (isKrpcError(e, 'VERSION_CONFLICT') || isKrpcError(e, 'ALREADY_EXISTS')) {
          // Someone else wrote first (a request, a concurrent install): re-read, without spinning.
          retryMs = CONFLICT_RETRY_MS;
          continue;
        }
        if (e instanceof KrpcError && TRANSIENT.has(e.code)) {
          this.o.log.warn('app pipeline step failed; retrying', { app: `${user}/${id}`, err: e.toWire() });
          retryMs = Math.min(Math.max(retryMs * 2, RETRY_MS), 8 * RETRY_MS);
          continue;
        }
        if (!cur) throw e;
        this.o.log.warn('app pipeline step failed', { app: `${user}/${id}`, step: cur.value.task.step, err: describeError(e) });
        await this.fail(user, id, cur, describeError(e)).catch((again) => {
          this.o.log.error('cannot record a failed app task; retrying', { app: `${user}/${id}`, err: describeError(again) });
          retryMs = RETRY_MS;
        });
      }
    }
  }

  private step(user: string, id: string, cur: Versioned<InstallRecord>, runner: Runner): Promise<void> {
    switch (cur.value.task.step) {
      case 'prepare': return this.prepare(user, id, cur);
      case 'switch': return this.switchVersion(user, id, cur);
      case 'rollback': return this.rollback(user, id, cur);
      case 'converge':
      case 'converge-rollback': return this.converge(user, id, cur, runner);
      case 'remove': return this.remove(user, id, cur, runner);
      default: throw new KrpcError('INVALID_PARAMS', `install record step ${JSON.stringify(cur.value.task.step)} is unknown; uninstall the app`);
    }
  }

  // ---- writing -------------------------------------------------------------------------------

  /** The record moved on (and other keys with it) in one tx, if nobody changed the record meanwhile. */
  private async commit(user: string, id: string, cur: Versioned<InstallRecord>, next: InstallRecord | null, extra: Record<string, TxAction> = {}, mainKey?: { key: string; revision: number }): Promise<void> {
    const key = installRecordKey(user, id);
    const action: TxAction = next ? { action: 'update', value: JSON.stringify({ ...next, updated_at: this.now() }) } : { action: 'remove' };
    await this.o.kv.execTx({ ...extra, [key]: action }, mainKey, [{ key, revision: cur.revision }]);
    if (!next) return;
    if (next.task.step === 'done' && cur.value.task.step !== 'done') {
      this.o.log.info('app task finished', { app: `${user}/${id}`, task: next.task.id, kind: next.task.kind, outcome: next.task.outcome, version: next.version, error: next.task.error, reason: next.task.reason });
    }
  }

  private async rememberRolledBack(pkg: string, version: string, why: RolledBackVersions[string]): Promise<Record<string, TxAction>> {
    const key = rolledBackVersionsKey(pkg);
    const got = await this.o.kv.get(key);
    const known = parseRolledBack(got?.value);
    return { [key]: { action: got ? 'update' : 'create', value: JSON.stringify({ ...known, [version]: why }) } };
  }

  private withTask(record: InstallRecord, task: Partial<AppTask>, rest: Partial<InstallRecord> = {}): InstallRecord {
    return { ...record, ...rest, task: { ...record.task, ...task, updated_at: this.now() } };
  }

  private remember(user: string, view: TaskView): void {
    this.finished.set(view.task_id, { user, view });
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
  }

  private async pkg(name: string, version: string): Promise<ResolvedPkg> {
    const key = `${name}#${version}`;
    const hit = this.resolved.get(key);
    if (hit) return hit;
    const pkg = await this.o.repo.resolve(name, version);
    this.resolved.set(key, pkg);
    return pkg;
  }

  private async ready(name: string, version: string): Promise<ResolvedPkg> {
    const pkg = await this.pkg(name, version);
    const prepared = await this.o.repo.prepareReady(name, version);
    if (!prepared.ready) throw new KrpcError('FAILED_PRECONDITION', `the zone's repo cannot make ${name}#${version} ready: ${prepared.problem}`);
    return pkg;
  }

  /** What a failure at the record's current step means, written down. */
  private async fail(user: string, id: string, cur: Versioned<InstallRecord>, why: string): Promise<void> {
    const r = cur.value;
    const t = r.task;
    let f: Failure;
    if (t.kind === 'upgrade' && t.step === 'converge') f = { kind: 'rollback', reason: why };
    else if (t.kind === 'upgrade' && (t.step === 'prepare' || t.step === 'switch')) f = { kind: 'failed', error: `the upgrade to ${t.to} did not start: ${why}; ${r.version} keeps running`, state: 'running' };
    else if (t.step === 'rollback' || t.step === 'converge-rollback') {
      f = { kind: 'failed', error: `the rollback to ${rollbackTarget(t)} failed${t.kind === 'upgrade' ? ' too' : ''}: ${why}`, state: 'failed' };
    }
    else f = { kind: 'failed', error: why, state: 'failed' };

    if (f.kind === 'rollback') {
      await this.commit(user, id, cur, this.withTask(r, { step: 'rollback', phase: 'rolling-back', reason: f.reason }, { state: 'rolling-back' }));
      return;
    }
    const next = this.withTask(r, { step: 'done', phase: 'failed', outcome: 'failed', error: f.error, deadline_at: undefined }, { state: f.state });
    await this.commit(user, id, cur, next);
  }

  // ---- steps ---------------------------------------------------------------------------------

  private async prepare(user: string, id: string, cur: Versioned<InstallRecord>): Promise<void> {
    const r = cur.value;
    const t = r.task;
    const pkg = await this.ready(r.pkg_name, t.to);
    if (t.kind === 'upgrade') {
      await this.commit(user, id, cur, this.withTask(r, { step: 'switch', phase: 'switching', total: pkg.size }));
      return;
    }
    if (await this.apps.spec(user, id)) throw new KrpcError('FAILED_PRECONDITION', `${appSpecKey(user, id)} exists but no install created it; delete it or install under another id`);
    const seq = await this.o.kv.get(APP_INDEX_SEQ_KEY);
    const last = seq ? Number.parseInt(seq.value, 10) : FIRST_APP_INDEX - 1;
    const appIndex = Math.max(Number.isSafeInteger(last) ? last + 1 : FIRST_APP_INDEX, FIRST_APP_INDEX);
    if (appIndex > MAX_APP_INDEX) throw new KrpcError('FAILED_PRECONDITION', `this zone has used all ${MAX_APP_INDEX} app indexes; no more apps can be installed`);
    const spec = buildAppSpec({
      userId: user, installationId: id, appIndex, node: r.node, deploymentId: t.id,
      pkg: { name: pkg.name, version: pkg.version, description: pkg.description, memoryMb: pkg.memoryMb },
    });
    const next = this.withTask(r, { step: 'converge', phase: 'scheduling', total: pkg.size, deadline_at: this.now() + this.deployTimeoutMs }, { app_index: appIndex });
    await this.commit(user, id, cur, next, {
      [APP_INDEX_SEQ_KEY]: seq ? { action: 'update', value: String(appIndex) } : { action: 'create', value: String(appIndex) },
      [appSpecKey(user, id)]: { action: 'create', value: JSON.stringify(spec) },
    }, seq ? { key: APP_INDEX_SEQ_KEY, revision: seq.version } : undefined);
  }

  /** The stored spec pointed at another version, with the rollout fields of this step. */
  private async respec(user: string, id: string, r: InstallRecord, version: string, deploymentId: string, snapshot: DataSnapshotRequest | undefined): Promise<TxAction> {
    const stored = await this.apps.spec(user, id);
    if (!stored) throw new KrpcError('NOT_FOUND', `${appSpecKey(user, id)} is gone; uninstall the app and install it again`);
    const pkg = await this.ready(r.pkg_name, version);
    const fresh = buildAppSpec({
      userId: user, installationId: id, appIndex: r.app_index, node: r.node, deploymentId, dataSnapshot: snapshot,
      pkg: { name: pkg.name, version: pkg.version, description: pkg.description, memoryMb: pkg.memoryMb },
    });
    const { data_snapshot: _old, ...kept } = stored.value;
    const spec = { ...kept, app_doc: fresh.app_doc, deployment: fresh.deployment, ...(snapshot ? { data_snapshot: snapshot } : {}) };
    return { action: 'update', value: JSON.stringify(spec) };
  }

  private async switchVersion(user: string, id: string, cur: Versioned<InstallRecord>): Promise<void> {
    const r = cur.value;
    const t = r.task;
    const snapshot: DataSnapshotRequest = { op_id: `${t.id}:take`, action: 'take', snapshot_id: t.id };
    const action = await this.respec(user, id, r, t.to, t.id, snapshot);
    const next = this.withTask(r, { step: 'converge', phase: 'deploying', snapshot_id: t.id, deadline_at: this.now() + this.deployTimeoutMs, up_at: undefined, unhealthy_at: undefined });
    await this.commit(user, id, cur, next, { [appSpecKey(user, id)]: action });
  }

  private async rollback(user: string, id: string, cur: Versioned<InstallRecord>): Promise<void> {
    const r = cur.value;
    const t = r.task;
    const target = rollbackTarget(t);
    const restore = t.restore_data !== false && t.snapshot_id !== undefined;
    const snapshot: DataSnapshotRequest | undefined = restore ? { op_id: `${t.id}:restore`, action: 'restore', snapshot_id: t.snapshot_id! } : undefined;
    const action = await this.respec(user, id, r, target, `${t.id}:rollback`, snapshot);
    const next = this.withTask(r, {
      step: 'converge-rollback', phase: restore ? 'restoring' : 'rolling-back', restore_data: restore,
      deadline_at: this.now() + this.deployTimeoutMs, up_at: undefined, unhealthy_at: undefined, bytes: 0,
    }, { state: 'rolling-back' });
    await this.commit(user, id, cur, next, { [appSpecKey(user, id)]: action });
  }

  /** Waits until the rollout of the current step is healthy, failed or out of time. */
  private async converge(user: string, id: string, cur: Versioned<InstallRecord>, runner: Runner): Promise<void> {
    const prefix = instancesPrefix(user, id);
    let rec = cur;
    const t0 = rec.value.task;
    const version = t0.step === 'converge-rollback' ? rollbackTarget(t0) : t0.to;
    const { hasHealthCheck } = await this.pkg(rec.value.pkg_name, version);
    let watchRev = (await this.o.kv.watch(prefix, Number.MAX_SAFE_INTEGER, 0)).revision;
    let lastProgressWrite = 0;
    let lastPlacementCheck = 0;
    let unplaced: string | undefined;

    while (!this.stopped) {
      const t = rec.value.task;
      const deadlineAt = t.deadline_at ?? t.updated_at + this.deployTimeoutMs;
      const verdict = judgeRollout(await this.apps.reports(user, id), {
        deploymentId: deploymentIdOf(t), nowMs: this.now(), deadlineAt, hasHealthCheck, unhealthyAt: t.unhealthy_at,
      });
      if (verdict.kind === 'healthy') return this.succeed(user, id, rec, verdict);
      if (verdict.kind === 'failed') return this.fail(user, id, rec, verdict.reason);

      if (verdict.phase !== 'scheduling') unplaced = undefined;
      else if (this.now() - lastPlacementCheck >= PLACEMENT_CHECK_MS) {
        lastPlacementCheck = this.now();
        unplaced = await this.unplacedReason(user, id);
      }
      const next = { ...this.progressed(t, verdict), waiting_for: unplaced && `no node can run it yet (${unplaced})` };
      const changed = next.phase !== t.phase || next.up_at !== t.up_at || next.unhealthy_at !== t.unhealthy_at || next.waiting_for !== t.waiting_for;
      const moved = next.bytes !== t.bytes || next.total !== t.total;
      if (changed || (moved && this.now() - lastProgressWrite >= PROGRESS_WRITE_MS)) {
        await this.commit(user, id, rec, this.withTask(rec.value, next));
        lastProgressWrite = this.now();
        const fresh = await this.apps.record(user, id);
        if (!fresh) return;
        rec = fresh;
        continue;
      }
      // A request changed the record (e.g. an uninstall): let drive() pick up the new task.
      const fresh = await this.apps.record(user, id);
      if (!fresh || fresh.revision !== rec.revision) return;

      const waitMs = Math.max(0, Math.min(deadlineAt - this.now(), WATCH_SLICE_MS, moved ? PROGRESS_WRITE_MS : WATCH_SLICE_MS, verdict.phase === 'scheduling' ? PLACEMENT_CHECK_MS : WATCH_SLICE_MS));
      const signal = AbortSignal.any([this.stopping.signal, runner.poke.signal]);
      if (runner.poke.signal.aborted) return;
      const r = await this.o.kv.watch(prefix, watchRev, waitMs, signal).catch((e) => {
        if (signal.aborted) return undefined;
        throw e;
      });
      if (!r) return;
      watchRev = r.revision;
    }
  }

  /** Why the scheduler placed no instance of the app, from its last snapshot (its own words). */
  private async unplacedReason(user: string, id: string): Promise<string | undefined> {
    const text = (await this.o.kv.get(SCHEDULER_SNAPSHOT_KEY))?.value;
    if (!text) return undefined;
    try {
      const placement = (JSON.parse(text) as { placements?: Record<string, { unplaced?: { detail?: unknown } }> }).placements?.[appSpecIdOf({ user, installationId: id })];
      const detail = placement?.unplaced?.detail;
      return typeof detail === 'string' ? detail : undefined;
    } catch {
      return undefined;
    }
  }

  private progressed(t: AppTask, v: Extract<RolloutVerdict, { kind: 'waiting' }>): Partial<AppTask> {
    const upAt = v.up && t.up_at === undefined ? this.now() : t.up_at;
    const phase = t.step === 'converge-rollback' && v.phase !== 'health-check' ? (t.restore_data ? 'restoring' : 'rolling-back') : v.phase;
    return {
      phase,
      bytes: v.bytes ?? t.bytes,
      total: v.total || t.total,
      up_at: upAt,
      unhealthy_at: v.unhealthyAt,
      // Once the process is up, it has the health timeout to prove itself.
      deadline_at: upAt !== undefined && t.up_at === undefined ? upAt + t.health_timeout_ms : t.deadline_at,
    };
  }

  private async succeed(user: string, id: string, cur: Versioned<InstallRecord>, v: Extract<RolloutVerdict, { kind: 'healthy' }>): Promise<void> {
    const r = cur.value;
    const t = r.task;
    const done: Partial<AppTask> = { step: 'done', phase: 'done', deadline_at: undefined, bytes: v.bytes ?? t.bytes, total: v.total || t.total };
    let next: InstallRecord;
    if (t.step === 'converge-rollback') {
      const target = rollbackTarget(t);
      const left = t.kind === 'upgrade' ? t.to : t.from ?? r.version;
      const { previous_version: _v, previous_snapshot: _s, ...rest } = r;
      next = this.withTask({ ...rest }, { ...done, outcome: t.kind === 'upgrade' ? 'rolled-back' : 'succeeded' }, {
        version: target,
        state: 'rolled-back',
        last_rollback: {
          from: left, to: target, reason: t.reason ?? `asked for by ${user}`, at: this.now(), automatic: t.kind === 'upgrade',
          task_id: t.id, data_restored: t.restore_data === true,
        },
      });
      // A version that failed here is remembered zone-wide, so the next install that names no version skips it.
      if (t.kind === 'upgrade') {
        await this.commit(user, id, cur, next, await this.rememberRolledBack(r.pkg_name, left, { reason: t.reason ?? 'it failed its health check', at: this.now(), user, installation_id: id }));
        return;
      }
    } else if (t.kind === 'upgrade') {
      next = this.withTask(r, { ...done, outcome: 'succeeded' }, { version: t.to, state: 'running', previous_version: t.from, previous_snapshot: t.snapshot_id });
    } else {
      next = this.withTask(r, { ...done, outcome: 'succeeded' }, { version: t.to, state: 'running' });
    }
    await this.commit(user, id, cur, next);
  }

  private async remove(user: string, id: string, cur: Versioned<InstallRecord>, runner: Runner): Promise<void> {
    const r = cur.value;
    const t = r.task;
    const spec = await this.apps.spec(user, id);
    if (spec) {
      const next = this.withTask(r, { phase: 'removing', deadline_at: this.now() + this.removeTimeoutMs });
      await this.commit(user, id, cur, next, { [appSpecKey(user, id)]: { action: 'remove' } });
      return;
    }
    const prefix = instancesPrefix(user, id);
    let watchRev = (await this.o.kv.watch(prefix, Number.MAX_SAFE_INTEGER, 0)).revision;
    const deadlineAt = t.deadline_at ?? this.now();
    while (!this.stopped) {
      const nowMs = this.now();
      const reports = Object.values(await this.apps.reports(user, id));
      // node-daemon deletes its report once the process has exited ("stopped" is also written while stopping).
      const active = reports.filter((rep) => (rep.expires_at ?? Infinity) * 1000 > nowMs);
      if (active.length === 0 || nowMs >= deadlineAt) {
        if (active.length > 0) this.o.log.warn('app still reported running after uninstall; its spec is gone, so the node stops it', { app: `${user}/${id}` });
        await this.commit(user, id, cur, null);
        const view = taskView(this.withTask(r, { step: 'done', phase: 'done', outcome: 'succeeded', deadline_at: undefined }), 'stopped');
        this.remember(user, view);
        this.o.log.info('app uninstalled', { app: `${user}/${id}`, task: t.id });
        return;
      }
      const signal = AbortSignal.any([this.stopping.signal, runner.poke.signal]);
      if (runner.poke.signal.aborted) return;
      const w = await this.o.kv.watch(prefix, watchRev, Math.min(WATCH_SLICE_MS, deadlineAt - nowMs), signal).catch((e) => {
        if (signal.aborted) return undefined;
        throw e;
      });
      if (!w) return;
      watchRev = w.revision;
    }
  }
}
