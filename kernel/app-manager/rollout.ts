// Judges one rollout (an install, an upgrade or a rollback) from the instance reports node-daemon
// writes at services/<spec_id>/instances/<node>. Pure: the pipeline feeds it reports and the clock.
//
// Healthy: a live report of this deployment says "started" and its health probe answered
// ("unknown" counts only for packages that declare no health path: then the process being up is all
// there is to check). Failed: the deployment's process exited (a crash or a failed start), two health
// probes in a row failed, or the deadline passed.

export interface InstanceReportView {
  state?: string;
  health?: string;
  expires_at?: number;
  observed_at?: number;
  deployment?: { task_id?: unknown };
  progress?: { phase?: unknown; bytes?: unknown; total?: unknown; by_phase?: Record<string, { bytes?: unknown; total?: unknown } | undefined> };
  deployment_error?: { code?: unknown; message?: unknown };
  restarts?: number;
}

export interface RolloutWatch {
  deploymentId: string;
  nowMs: number;
  /** the wait ends here */
  deadlineAt: number;
  /** the package declares a health path */
  hasHealthCheck: boolean;
  /** observed_at (s) of the first failed health probe seen so far */
  unhealthyAt?: number;
}

export type RolloutVerdict =
  | { kind: 'waiting'; phase: string; bytes?: number; total?: number; up: boolean; unhealthyAt?: number; node?: string }
  | { kind: 'healthy'; node: string; bytes?: number; total?: number }
  | { kind: 'failed'; reason: string };

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The repo-backed pkg source reports its chunk fetches as phase "download" (then "installed"). */
const DOWNLOAD_PHASE = 'download';

/** Bytes the node fetched for this deployment, and the size of what it installed. */
export function transferOf(r: InstanceReportView): { bytes?: number; total?: number; downloading: boolean } {
  const p = r.progress;
  if (!p) return { downloading: false };
  const download = p.by_phase?.[DOWNLOAD_PHASE];
  const bytes = num(download?.bytes) ?? (p.phase === DOWNLOAD_PHASE ? num(p.bytes) : 0);
  const total = num(p.total) ?? num(download?.total);
  return { bytes, total, downloading: p.phase === DOWNLOAD_PHASE };
}

export function judgeRollout(reports: Record<string, InstanceReportView>, w: RolloutWatch): RolloutVerdict {
  const nowS = w.nowMs / 1000;
  const mine = Object.entries(reports)
    .filter(([, r]) => r.deployment?.task_id === w.deploymentId && (num(r.expires_at) ?? Infinity) > nowS)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  for (const [node, r] of mine) {
    if (r.state === 'started' && (r.health === 'healthy' || (r.health === 'unknown' && !w.hasHealthCheck))) {
      const { bytes, total } = transferOf(r);
      return { kind: 'healthy', node, bytes, total };
    }
  }
  for (const [node, r] of mine) {
    if (r.state === 'exited') {
      const why = typeof r.deployment_error?.message === 'string' ? r.deployment_error.message : 'the process exited';
      // A full disk keeps its code: the owner must act, and the CLI and panel key their advice on it.
      if (r.deployment_error?.code === 'RESOURCE_EXHAUSTED') return { kind: 'failed', reason: `on ${node}: RESOURCE_EXHAUSTED: ${why}` };
      return { kind: 'failed', reason: `on ${node}: ${why}` };
    }
    if (r.state === 'started' && r.health === 'unhealthy') {
      const at = num(r.observed_at) ?? 0;
      if (w.unhealthyAt !== undefined && at > w.unhealthyAt) return { kind: 'failed', reason: `on ${node}: the health check failed twice in a row` };
    }
  }
  if (w.nowMs >= w.deadlineAt) {
    const up = mine.some(([, r]) => r.state === 'started');
    return { kind: 'failed', reason: up ? 'the app did not pass its health check in time' : 'the app did not start in time' };
  }

  const first = mine[0];
  if (!first) return { kind: 'waiting', phase: 'scheduling', up: false, unhealthyAt: w.unhealthyAt };
  const [node, r] = first;
  const { bytes, total, downloading } = transferOf(r);
  if (r.state === 'started') {
    const unhealthyAt = r.health === 'unhealthy' ? (w.unhealthyAt ?? num(r.observed_at) ?? 0) : undefined;
    return { kind: 'waiting', phase: 'health-check', bytes, total, up: true, unhealthyAt, node };
  }
  return { kind: 'waiting', phase: downloading ? 'downloading' : 'starting', bytes, total, up: false, unhealthyAt: w.unhealthyAt, node };
}
