// A kernel service entry of nodes/<self>/config. On the OOD kernel services live inside the kernel
// process, so the daemon drives them through injected run items instead of spawning anything; a
// service with no run item on this node is reported as failed with the reason.
import { KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { InstanceStatus } from './app-instance.js';
import { RestartTimer, type BackoffPolicy } from './backoff.js';
import type { NodeKv } from './kv.js';
import { ReportChannel, buildReport, reportKey, type InstancePhase, type ServiceInstanceReport, type ReportingNode } from './report.js';

export interface KernelRunItem {
  /** Starts the service, or returns its ports when it already runs. */
  start(): Promise<{ ports: Record<string, number> }>;
  stop(): Promise<void>;
  running(): boolean;
}

export interface KernelRuntimeContext {
  node: ReportingNode;
  kv: NodeKv;
  log: Logger;
  backoff: BackoffPolicy;
  nowMs: () => number;
}

export class KernelInstance {
  private wanted = false;
  /** only what this daemon started is stopped by it */
  private startedByUs = false;
  private phase: InstancePhase = 'stopped';
  private error: KrpcError | undefined;
  private ports: Record<string, number> = {};
  private startedAt = 0;
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly retry: RestartTimer;
  private readonly report: ReportChannel;
  private readonly log: Logger;

  constructor(readonly name: string, private readonly item: KernelRunItem | undefined, private readonly ctx: KernelRuntimeContext) {
    this.retry = new RestartTimer(ctx.backoff, () => void this.enqueue(() => this.reconcile()));
    this.log = ctx.log.child(`kernel/${name}`);
    this.report = new ReportChannel(ctx.kv, reportKey(name, ctx.node.name), () => this.renderReport(), this.log);
  }

  get instanceId(): string {
    return `${this.name}@${this.ctx.node.name}`;
  }

  get idle(): boolean {
    return !this.wanted && this.phase === 'stopped';
  }

  want(started: boolean): Promise<void> {
    if (this.wanted !== started) this.retry.reset();
    this.wanted = started;
    return this.enqueue(() => this.reconcile());
  }

  /** Notices a service that stopped on its own and restarts it (with backoff); refreshes the report. */
  async refresh(): Promise<void> {
    if (this.wanted && this.phase === 'started' && this.item && !this.item.running()) {
      const delay = this.retry.schedule(Date.now() - this.startedAt);
      this.log.warn('kernel service is no longer running; restarting', { restart_in_ms: delay });
      await this.enqueue(() => this.setPhase('restarting'));
      return;
    }
    if (!this.idle) await this.report.push();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    this.retry.cancel();
    await this.enqueue(async () => {
      if (this.startedByUs && this.item?.running()) await this.item.stop();
      this.startedByUs = false;
      if (this.wanted) await this.setPhase('stopped');
    });
  }

  status(): InstanceStatus {
    return {
      instance_id: this.instanceId,
      spec_id: this.name,
      kind: 'kernel',
      phase: this.phase,
      pid: this.phase === 'started' ? process.pid : 0,
      ports: this.phase === 'started' ? this.ports : {},
      restarts: this.retry.restarts,
      error: this.error?.toWire(),
    };
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step).catch((e) => this.log.error('kernel service step failed', { err: (e as Error).message }));
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
    const started = this.phase === 'started';
    return buildReport({
      instanceId: this.instanceId,
      phase: this.phase,
      ports: started ? this.ports : {},
      pid: started ? process.pid : 0,
      startTime: started ? Math.floor(this.startedAt / 1000) : 0,
      health: started ? 'healthy' : 'unknown',
      error: this.error,
    }, this.ctx.node, Math.floor(this.ctx.nowMs() / 1000));
  }

  private async reconcile(): Promise<void> {
    if (this.closed) return;
    if (!this.wanted) {
      if (this.startedByUs && this.item?.running()) {
        await this.setPhase('stopping');
        await this.item.stop();
      }
      this.startedByUs = false;
      if (this.phase !== 'stopped') await this.setPhase('stopped');
      return;
    }
    if (!this.item) {
      if (this.phase === 'failed') return;
      return this.setPhase('failed', new KrpcError('FAILED_PRECONDITION',
        `kernel service ${this.name} cannot run on node ${this.ctx.node.name}: this node's kernel does not host it (kernel services run inside the OOD's kernel)`));
    }
    if ((this.phase === 'started' && this.item.running()) || this.retry.pending) return;
    await this.setPhase('deploying');
    try {
      const wasRunning = this.item.running();
      const { ports } = await this.item.start();
      this.startedByUs ||= !wasRunning;
      this.ports = ports;
      this.startedAt = Date.now();
      this.log.info('kernel service started', { ports, adopted: wasRunning });
      await this.setPhase('started');
    } catch (e) {
      const error = e instanceof KrpcError ? e : new KrpcError('UNAVAILABLE', `kernel service ${this.name} failed to start: ${(e as Error)?.message ?? e}`);
      this.retry.schedule(0);
      await this.setPhase('failed', error);
    }
  }
}
