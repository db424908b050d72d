// services/<spec_id>/instances/<node>: what this node says about one instance (spec 10 §5, ours: written
// by the node-daemon for every instance it runs). A report is written when what it says changes, not
// on a timer: the node's own heartbeat (devices/<node>/info, which names the same node_session_id)
// keeps it alive for the scheduler. expires_at still means something to readers that know nothing of
// heartbeats (BuckyOS, the app installer): it lies REPORT_TTL_S ahead and is renewed REPORT_RENEW_S
// after the last write, so an unchanged report costs one write a minute instead of six.
import type { Logger } from '../lib/log.js';
import { isKrpcError, type KrpcError } from '../lib/errors.js';
import type { NodeKv } from './kv.js';
import type { Health } from './process-runtime.js';
import type { Deployment, InstallProgressReport, ServiceInstanceReport } from '../api/zone.js';
export type { ServiceInstanceReport };

export type { InstallProgressReport };

export const REPORT_TTL_S = 90;
export const REPORT_RENEW_S = 60;

export type ReportState = 'started' | 'stopped' | 'exited' | 'deploying';

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

export { instanceReportKey as reportKey } from '../api/keys.js';

export interface InstanceSnapshot {
  instanceId: string;
  phase: InstancePhase;
  ports: Record<string, number>;
  pid: number;
  /** unix seconds; 0 while nothing runs */
  startTime: number;
  health: Health;
  error?: KrpcError;
  deployment?: Deployment;
  progress?: InstallProgressReport;
  /** how many times the node restarted it after it exited */
  restarts?: number;
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
  if (s.restarts) report.restarts = s.restarts;
  return report;
}

/** The report without its clock fields: two reports with the same facts say the same thing. */
const factsOf = ({ last_update_time: _u, observed_at: _o, expires_at: _e, ...facts }: ServiceInstanceReport) => JSON.stringify(facts);

/**
 * Writes one report key in order: pushes made while a write is in flight collapse into one more
 * write of the latest state, so an older state can never land after a newer one (or after a delete).
 * A push that would write the same facts as the last write is skipped until the expiry needs
 * renewing, except while the instance is unhealthy: every failed probe is news to the installer.
 */
export class ReportChannel {
  private pending = false;
  /** true while drain() runs; a drain that skips everything ends before push() could store its promise */
  private draining = false;
  private running: Promise<void> = Promise.resolve();
  /** what the key holds after our last successful write; undefined when unknown */
  private written: { facts: string; at: number } | null | undefined;

  constructor(
    private readonly kv: NodeKv,
    readonly key: string,
    /** the report to write now, or null to delete the key */
    private readonly render: () => ServiceInstanceReport | null,
    private readonly log: Logger,
  ) {}

  push(): Promise<void> {
    this.pending = true;
    if (!this.draining) this.running = this.drain();
    return this.running;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.pending) {
        this.pending = false;
        const report = this.render();
        const next = report && { facts: factsOf(report), at: report.last_update_time };
        if (this.unchanged(report, next)) continue;
        this.written = undefined;
        try {
          if (report === null) await this.kv.delete(this.key);
          else await this.kv.set(this.key, JSON.stringify(report));
          this.written = next;
        } catch (e) {
          if (report === null && isKrpcError(e, 'NOT_FOUND')) {
            this.written = null;
            continue;
          }
          this.log.warn('cannot write instance report; will retry on the next refresh', { key: this.key, err: (e as Error).message });
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private unchanged(report: ServiceInstanceReport | null, next: { facts: string; at: number } | null): boolean {
    const last = this.written;
    if (last === undefined) return false;
    if (last === null || next === null) return last === next;
    return last.facts === next.facts && report!.health !== 'unhealthy' && next.at - last.at < REPORT_RENEW_S;
  }
}
