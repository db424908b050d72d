// sys_config_watch (ours, spec 10 §8): a long-poll over the store's change history. A call returns at
// once when something under the prefix changed after the caller's revision, otherwise at the next
// such commit or at its timeout; consumers converge within a round trip instead of a poll period.
import { KrpcError } from '../lib/errors.js';
import { isUnderPrefix, RESERVED_PREFIX } from '../lib/kv-keys.js';
import type { KvChange, KvStore } from './store/types.js';
import type { WatchChange, WatchResult } from '../api/system-config.js';
export type { WatchChange, WatchResult };

/** Past this many bytes of values a re-read is cheaper than the change list. */
const MAX_RESULT_BYTES = 4 * 1024 * 1024;
const MAX_WAITING = 1024;

export class WatchHub {
  private readonly waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly store: KvStore) {
    this.unsubscribe = store.subscribe(() => this.wakeAll());
  }

  /**
   * Changes under `prefix` after global revision `from`, newest value per key, filtered by `canRead`
   * (unreadable keys are skipped silently). `compacted` means the history is gone: re-read.
   */
  async watch(prefix: string, from: number, timeoutMs: number, canRead: (key: string) => Promise<boolean>, signal?: AbortSignal): Promise<WatchResult> {
    const deadline = Date.now() + timeoutMs;
    let cursor = from;
    for (;;) {
      const result = await this.collect(prefix, cursor, canRead);
      if ('compacted' in result || result.changes.length > 0) return result;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed || signal?.aborted) return result;
      // Everything up to result.revision was invisible to this caller; wait for newer commits only.
      cursor = result.revision;
      // A commit may have landed while collect() awaited permission checks: look again before sleeping.
      if (this.store.globalRevision() > cursor) continue;
      if (this.waiters.size >= MAX_WAITING) throw new KrpcError('RATE_LIMITED', 'too many watches are waiting on this node; retry in a few seconds');
      await this.nextCommit(left, signal);
    }
  }

  /** Ends every waiting watch now (they answer with what they have). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private async collect(prefix: string, from: number, canRead: (key: string) => Promise<boolean>): Promise<WatchResult> {
    const revision = this.store.globalRevision();
    // A revision from the future belongs to another store (or a restored one): the caller must re-read.
    if (from > revision) return { revision, compacted: true };
    const since = this.store.changesSince(from);
    if (since === 'compacted') return { revision, compacted: true };
    const latest = new Map<string, KvChange>();
    for (const c of since) {
      if (c.globalRevision > revision || !isUnderPrefix(c.key, prefix) || c.key.startsWith(`${RESERVED_PREFIX}/`)) continue;
      latest.delete(c.key);
      latest.set(c.key, c);
    }
    const changes: WatchChange[] = [];
    let bytes = 0;
    for (const c of latest.values()) {
      if (!(await canRead(c.key))) continue;
      bytes += c.key.length + (c.value?.length ?? 0);
      if (bytes > MAX_RESULT_BYTES) return { revision, compacted: true };
      changes.push({ key: c.key, value: c.value, version: c.revision });
    }
    return { revision, changes };
  }

  private nextCommit(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
