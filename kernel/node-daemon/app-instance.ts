// One app instance on this node as a small state machine:
//   deploying → starting → started;  exit → restarting (backoff) → deploying …;  unwanted → stopping → stopped.
// Every action runs in order on one queue; every phase change is written to the instance report at once.
import { join } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import type { DataPaths } from '../lib/paths.js';
import type { Logger } from '../lib/log.js';
import type { AppFolders, AppIsolation } from './app-isolation.js';
import { RestartTimer, type BackoffPolicy } from './backoff.js';
import { applyDataSnapshotOp, dataSnapshotOpOf, snapshotRootOf } from './data-snapshot.js';
import { appEnv } from './env-contract.js';
import type { NodeKv } from './kv.js';
import { fsName, sameLaunch, type AppTarget } from './node-config.js';
import type { PkgInstallProgress, PkgSource } from './pkg-source.js';
import { launchProcess, type Health, type ProcessExit, type RunningProcess } from './process-runtime.js';
import { ReportChannel, buildReport, reportKey, type InstallProgressReport, type InstancePhase, type ServiceInstanceReport, type ReportingNode } from './report.js';
import { RotatingLog, type RotationPolicy } from '../lib/rotating-log.js';
import { isPlainObject } from '../lib/json.js';
import type { Deployment } from '../api/zone.js';

export type SignBootstrapToken = (claims: { appid: string; sub: string }) => Promise<string>;

export interface AppRuntimeContext {
  node: ReportingNode;
  paths: DataPaths;
  isolation: AppIsolation;
  log: Logger;
  kv: NodeKv;
  pkgSource: PkgSource;
  signBootstrapToken: SignBootstrapToken;
  zoneConfigJson: string;
  thisDeviceJson: string;
  bindHost: string;
  hostGateway: string;
  rotation: RotationPolicy;
  backoff: BackoffPolicy;
  portWaitMs: number;
  stopGraceMs: number;
  nowMs: () => number;
}

export interface InstanceStatus {
  instance_id: string;
  spec_id: string;
  kind: 'app' | 'kernel';
  phase: InstancePhase;
  pid: number;
  ports: Record<string, number>;
  restarts: number;
  error?: string;
}

/** An app that asks for all interfaces gets them; otherwise it binds the node's own (loopback) address. */
const bindAddress = (manifestBind: string | undefined, nodeHost: string) =>
  manifestBind === '0.0.0.0' || manifestBind === '::' ? manifestBind : nodeHost;

const PROGRESS_PUSH_MS = 250;

/** The spec's `deployment`, echoed into the report as the spec holds it (the installer wrote it). */
const deploymentOf = (spec: unknown): Deployment | undefined => {
  const d = (spec as { deployment?: unknown } | undefined)?.deployment;
  return isPlainObject(d) ? (d as unknown as Deployment) : undefined;
};

const asKrpcError = (e: unknown) =>
  e instanceof KrpcError ? e : new KrpcError('INTERNAL', `unexpected failure: ${(e as Error)?.message ?? String(e)}`);

export class AppInstance {
  private target: AppTarget | undefined;
  /** set when the node config asks for this instance but it cannot run here */
  private configError: KrpcError | undefined;
  private running: { target: AppTarget; proc: RunningProcess } | undefined;
  private phase: InstancePhase = 'stopped';
  private error: KrpcError | undefined;
  private health: Health = 'unknown';
  private progress: InstallProgressReport | undefined;
  private lastProgressPush = 0;
  private readonly retry: RestartTimer;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly output: RotatingLog;
  private readonly report: ReportChannel;
  private readonly log: Logger;

  constructor(readonly instanceId: string, readonly specId: string, private readonly ctx: AppRuntimeContext) {
    this.retry = new RestartTimer(ctx.backoff, () => void this.enqueue(() => this.reconcile()));
    this.log = ctx.log.child(instanceId);
    this.output = new RotatingLog(join(ctx.paths.logs, 'apps', `${fsName(instanceId)}.log`), ctx.rotation);
    this.report = new ReportChannel(ctx.kv, reportKey(specId, ctx.node.name), () => this.renderReport(), this.log);
  }

  /** Run `target` (or stop, for undefined). Resolves when this request has been acted on. */
  want(target: AppTarget | undefined): Promise<void> {
    const previous = this.target;
    this.target = target;
    this.configError = undefined;
    if (!target || !previous || !sameLaunch(previous, target)) {
      // A different launch (upgrade, new port hint) or a stop is acted on now, not after a backoff.
      this.retry.reset();
    }
    return this.enqueue(() => this.reconcile());
  }

  /** The node config names this instance but it cannot run here: stop it and report why. */
  refuse(error: KrpcError): Promise<void> {
    this.target = undefined;
    this.configError = error;
    this.retry.cancel();
    return this.enqueue(() => this.reconcile());
  }

  /** Nothing wanted and nothing running: the daemon can forget this instance. */
  get idle(): boolean {
    return !this.target && !this.configError && !this.running && this.phase === 'stopped';
  }

  async refresh(): Promise<void> {
    if (this.running && this.phase === 'started') this.health = await this.running.proc.health();
    if (!this.idle) await this.report.push();
  }

  /** Daemon shutdown: stop the process, leave a final "stopped" report (the instance is still wanted). */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.retry.cancel();
    await this.enqueue(async () => {
      if (this.running) await this.stopProcess();
      if (this.target || this.configError) await this.report.push();
    });
    await this.output.close();
  }

  status(): InstanceStatus {
    return {
      instance_id: this.instanceId,
      spec_id: this.specId,
      kind: 'app',
      phase: this.phase,
      pid: this.running?.proc.pid ?? 0,
      ports: this.running ? { www: this.running.proc.port } : {},
      restarts: this.retry.restarts,
      error: this.error?.toWire(),
    };
  }

  async close(): Promise<void> {
    await this.output.close();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step).catch((e) => this.log.error('instance step failed', { err: (e as Error).message }));
    this.queue = next;
    return next;
  }

  private setPhase(phase: InstancePhase, error?: KrpcError): Promise<void> {
    this.phase = phase;
    this.error = error;
    return this.report.push();
  }

  private renderReport(): ServiceInstanceReport | null {
    if (this.phase === 'stopped' && !this.closed) return null;
    const run = this.running?.proc;
    return buildReport({
      instanceId: this.instanceId,
      phase: this.phase,
      ports: run && this.phase === 'started' ? { www: run.port } : {},
      pid: run?.pid ?? 0,
      startTime: run ? Math.floor(run.startedAt / 1000) : 0,
      health: this.phase === 'started' ? this.health : 'unknown',
      error: this.error,
      deployment: deploymentOf((this.running?.target ?? this.target)?.entry.app_spec),
      progress: this.progress,
      restarts: this.retry.restarts,
    }, this.ctx.node, Math.floor(this.ctx.nowMs() / 1000));
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    const want = this.target;
    if (this.running && (!want || !sameLaunch(this.running.target, want))) await this.stopProcess();
    if (this.configError) {
      if (this.phase === 'failed' && this.error?.toWire() === this.configError.toWire()) return;
      return this.setPhase('failed', this.configError);
    }
    if (!want) {
      if (this.phase !== 'stopped') await this.setPhase('stopped');
      return;
    }
    if (this.running || this.retry.pending) return;
    await this.start(want);
  }

  private async stopProcess(): Promise<void> {
    const run = this.running!;
    this.running = undefined;
    await this.setPhase('stopping');
    await run.proc.stop();
    this.log.info('stopped', { pid: run.proc.pid });
  }

  private async start(want: AppTarget): Promise<void> {
    const { paths } = this.ctx;
    await this.setPhase('deploying');
    try {
      this.progress = undefined;
      const pkg = await this.ctx.pkgSource.ensureInstalled(want.pkgId, (p) => this.onInstallProgress(p));
      // Asked for something else while installing: the reconcile queued behind this one takes over.
      if (!this.target || !sameLaunch(this.target, want)) return;
      await this.setPhase('starting');
      const { isolation } = this.ctx;
      const runDir = join(paths.run, fsName(want.instanceId));
      const folders: AppFolders = {
        dataDir: join(paths.data, fsName(want.userId), fsName(want.installationId)),
        cacheDir: join(paths.cache, fsName(want.userId), fsName(want.installationId)),
        logDir: join(paths.logs, 'apps', fsName(want.instanceId)),
        workDir: join(runDir, 'app'),
        dataMounts: pkg.manifest.install?.data_mounts ?? [],
      };
      const owner = await isolation.ownerOf(want.userId, want.installationId);
      // Nothing of the app may run while the kernel copies, restores or hands over its folders.
      await isolation.stopStrays(owner);
      const snapshotOp = dataSnapshotOpOf(want.entry.app_spec);
      if (snapshotOp) await applyDataSnapshotOp(snapshotOp, { dataDir: folders.dataDir, snapshotRoot: snapshotRootOf(paths.root, want.userId, want.installationId) }, this.log);
      await isolation.prepareFolders(owner, folders, pkg.dir);
      const token = await this.ctx.signBootstrapToken({ appid: want.installationId, sub: want.userId });
      const env = appEnv({
        target: want, token, dataDir: folders.dataDir, cacheDir: folders.cacheDir, logDir: folders.logDir, pkgDir: pkg.dir,
        zoneConfigJson: this.ctx.zoneConfigJson,
        thisDeviceJson: this.ctx.thisDeviceJson,
        bindHost: bindAddress(pkg.manifest.install?.bind, this.ctx.bindHost),
        hostGateway: this.ctx.hostGateway,
        pkgEnv: pkg.manifest.start.env,
      });
      for (const [name, value] of Object.entries(isolation.envOverrides(folders))) {
        if (value === undefined) delete env[name];
        else env[name] = value;
      }
      const proc = await launchProcess({
        instanceId: want.instanceId,
        pkg,
        runDir,
        workDir: folders.workDir,
        runAs: owner,
        wrap: (argv) => isolation.wrap(argv, folders, pkg.dir),
        isolation: isolation.kind,
        env,
        log: this.output,
        probeHost: this.ctx.bindHost,
        portWaitMs: this.ctx.portWaitMs,
        stopGraceMs: this.ctx.stopGraceMs,
      }, this.log);
      this.running = { target: want, proc };
      void proc.exited.then((exit) => this.onExit(proc, exit));
      this.health = await proc.health();
      this.log.info('started', { pid: proc.pid, port: proc.port, hint: want.portHint, isolation: isolation.kind, uid: owner?.uid });
      await this.setPhase('started');
    } catch (e) {
      const error = asKrpcError(e);
      this.log.warn('cannot start instance', { err: error.toWire() });
      this.retry.schedule(0);
      await this.setPhase('failed', error);
    }
  }

  /** Install progress goes into the report at most a few times a second, and at once when a phase ends. */
  private onInstallProgress(p: PkgInstallProgress): void {
    const phaseChanged = this.progress?.phase !== p.phase;
    const byPhase = { ...this.progress?.by_phase, [p.phase]: { bytes: p.bytes, total: p.total } };
    this.progress = { phase: p.phase, bytes: p.bytes, total: p.total, by_phase: byPhase };
    const now = Date.now();
    if (now - this.lastProgressPush < PROGRESS_PUSH_MS && !phaseChanged && p.bytes < p.total) return;
    this.lastProgressPush = now;
    void this.report.push();
  }

  private onExit(proc: RunningProcess, exit: ProcessExit): void {
    if (this.running?.proc !== proc || this.closed) return;
    this.running = undefined;
    const upMs = Date.now() - proc.startedAt;
    const delay = this.retry.schedule(upMs);
    this.log.warn('instance exited; restarting', { pid: proc.pid, code: exit.code, signal: exit.signal, restart_in_ms: delay });
    void this.enqueue(() => this.setPhase('restarting'));
  }
}
