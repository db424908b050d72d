// services/<spec_id>/instances/<node>: what this node says about one instance (spec 10 §5, ours: written
// by the node-daemon for every instance it runs). A report expires 30 s after it was written and is
// rewritten every 10 s, so a report that stops being refreshed is read as dead.
import type { Logger } from '../lib/log.js';
import { isKrpcError, type KrpcError } from '../lib/errors.js';
import type { NodeKv } from './kv.js';
import type { Health } from './process-runtime.js';

export const REPORT_TTL_S = 30;

export type ReportState = 'started' | 'stopped' | 'exited' | 'deploying';

export interface ServiceInstanceReport {
  instance_id: string;
  node_id: string;
  node_did: string;
  state: ReportState;
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
  /** ours: the app spec's `deployment` this instance runs (or is deploying), so installers can tell versions apart */
  deployment?: Record<string, unknown>;
  /** ours: the latest package install progress of that deployment */
  progress?: InstallProgressReport;
}

export interface InstallProgressReport {
  phase: string;
  bytes: number;
  total: number;
  /** the last figures of every phase so far, so a phase that ended between two writes is not lost */
  by_phase: Record<string, { bytes: number; total: number }>;
}

/** The internal life of an instance; every phase maps to one report state (or to no report). */
export type InstancePhase = 'deploying' | 'starting' | 'started' | 'restarting' | 'failed' | 'stopping' | 'stopped';

const reportState: Record<InstancePhase, ReportState> = {
  deploying: 'deploying',
  starting: 'deploying',
  started: 'started',
  restarting: 'exited',
  failed: 'exited',
  stopping: 'stopped',
  stopped: 'stopped',
};

export const reportKey = (specId: string, nodeName: string) => `services/${specId}/instances/${nodeName}`;

export interface InstanceSnapshot {
  instanceId: string;
  phase: InstancePhase;
  ports: Record<string, number>;
  pid: number;
  /** unix seconds; 0 while nothing runs */
  startTime: number;
  health: Health;
  error?: KrpcError;
  deployment?: Record<string, unknown>;
  progress?: InstallProgressReport;
}

export interface ReportingNode {
  name: string;
  did: string;
  sessionId: string;
}

export function buildReport(s: InstanceSnapshot, node: ReportingNode, nowSeconds: number): ServiceInstanceReport {
  const report: ServiceInstanceReport = {
    instance_id: s.instanceId,
    node_id: node.name,
    node_did: node.did,
    state: reportState[s.phase],
    service_ports: s.ports,
    pid: s.pid,
    start_time: s.startTime,
    last_update_time: nowSeconds,
    observed_at: nowSeconds,
    expires_at: nowSeconds + REPORT_TTL_S,
    instance_epoch: s.pid ? `process:${s.pid}:${s.startTime}` : `none:${node.sessionId}`,
    node_session_id: node.sessionId,
    health: s.health,
  };
  if (s.error) report.deployment_error = { code: s.error.code, message: s.error.message };
  if (s.deployment) report.deployment = s.deployment;
  if (s.progress) report.progress = s.progress;
  return report;
}

/**
 * Writes one report key in order: pushes made while a write is in flight collapse into one more
 * write of the latest state, so an older state can never land after a newer one (or after a delete).
 */
export class ReportChannel {
  private pending = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kv: NodeKv,
    readonly key: string,
    /** the value to write now, or null to delete the key */
    private readonly render: () => string | null,
    private readonly log: Logger,
  ) {}

  push(): Promise<void> {
    this.pending = true;
    this.running ??= this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        this.pending = false;
        const value = this.render();
        try {
          if (value === null) await this.kv.delete(this.key);
          else await this.kv.set(this.key, value);
        } catch (e) {
          if (value === null && isKrpcError(e, 'NOT_FOUND')) continue;
          this.log.warn('cannot write instance report; will retry on the next refresh', { key: this.key, err: (e as Error).message });
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
