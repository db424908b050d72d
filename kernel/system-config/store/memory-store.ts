// In-memory KvStore: same semantics as the durable store, nothing on disk. For unit tests and as the
// reference behaviour the durable stores are checked against.
import type { KvChange, KvEntry, KvPut, KvStore, KvView } from './types.js';

const HISTORY_LIMIT = 10_000;

export class MemoryStore implements KvStore {
  private readonly data = new Map<string, KvEntry>();
  private readonly revisions = new Map<string, number>();
  private rev = 0;
  private history: KvChange[] = [];
  private readonly listeners = new Set<(c: KvChange[], rev: number) => void>();

  get(key: string) { return this.data.get(key); }
  revisionOf(key: string) { return this.revisions.get(key) ?? 0; }
  keysWithPrefix(prefix: string) { return [...this.data.keys()].filter((k) => k.startsWith(prefix)); }
  globalRevision() { return this.rev; }

  async transact(plan: (view: KvView) => KvPut[]): Promise<number> {
    const puts = plan(this);
    if (puts.length === 0) return this.rev;
    const globalRevision = ++this.rev;
    const changes: KvChange[] = [];
    for (const p of puts) {
      const revision = this.revisionOf(p.key) + 1;
      this.revisions.set(p.key, revision);
      if (p.value === null) this.data.delete(p.key);
      else this.data.set(p.key, { value: p.value, revision });
      changes.push({ key: p.key, value: p.value, revision, globalRevision });
    }
    this.history.push(...changes);
    if (this.history.length > HISTORY_LIMIT) this.history = this.history.slice(-HISTORY_LIMIT);
    for (const l of this.listeners) l(changes, globalRevision);
    return globalRevision;
  }

  changesSince(revision: number): KvChange[] | 'compacted' {
    if (revision >= this.rev) return [];
    const oldest = this.history[0]?.globalRevision ?? this.rev + 1;
    if (revision + 1 < oldest) return 'compacted';
    return this.history.filter((c) => c.globalRevision > revision);
  }

  subscribe(listener: (c: KvChange[], rev: number) => void) {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  async close() { this.listeners.clear(); }
}
