// Typed client of the scheduler's kRPC face (/kapi/scheduler): its decisions and why.
import { ServiceClient, type TokenSource } from '../lib/krpc/client.js';
import type { Explanation, SchedulerMethods, SnapshotDiff, SnapshotJson } from '../api/scheduler.js';

export class SchedulerClient {
  private readonly rpc: ServiceClient<SchedulerMethods>;
  constructor(readonly url: string, token?: TokenSource, opts: { timeoutMs?: number } = {}) {
    this.rpc = new ServiceClient<SchedulerMethods>(url, { token, timeoutMs: opts.timeoutMs });
  }

  /** The current snapshot, or the kept one of revision `rev` (NOT_FOUND when it is not kept any more). */
  getSnapshot(rev?: number): Promise<SnapshotJson> {
    return this.rpc.call('get_snapshot', rev === undefined ? {} : { rev });
  }

  /** What changed from snapshot `from` to `to` (default: the current one). */
  diff(from: number, to?: number): Promise<SnapshotDiff> {
    return this.rpc.call('diff', to === undefined ? { from } : { from, to });
  }

  explain(specId: string): Promise<Explanation> {
    return this.rpc.call('explain', { spec_id: specId });
  }

  /** Runs a scheduling pass now (needs write access to the scheduler's snapshot). */
  runPass(): Promise<{ writes: number }> {
    return this.rpc.call('refresh_rbac', {});
  }
}
