// The storage interface behind system-config. The embedded default is a local append-only log with
// group commit plus a lowdb-format JSON snapshot; a replicated engine (etcd) can implement the same
// interface for multi-OOD zones. KV semantics (create-if-absent, CAS, append, JSON paths, RBAC)
// live in the service above; a store only applies primitive puts/deletes atomically and durably.

/** One primitive mutation. value === null deletes the key. */
export interface KvPut {
  key: string;
  value: string | null;
}

export interface KvEntry {
  value: string;
  /** Per-key revision: 0 for a key that never existed, +1 on every write including delete. */
  revision: number;
}

export interface KvChange {
  key: string;
  /** null when the key was deleted */
  value: string | null;
  /** the key's revision after this change */
  revision: number;
  /** the store's global revision of the transaction that made this change */
  globalRevision: number;
}

/** A read view used inside transact(): sees committed state plus writes queued before this one. */
export interface KvView {
  get(key: string): KvEntry | undefined;
  /** Per-key revision including deleted keys (their revision keeps counting). */
  revisionOf(key: string): number;
  /** Every live key starting with prefix (full keys, unordered). */
  keysWithPrefix(prefix: string): string[];
}

export interface KvStore {
  /** Committed (durable) value of a key. */
  get(key: string): KvEntry | undefined;
  revisionOf(key: string): number;
  keysWithPrefix(prefix: string): string[];
  /** Global revision: +1 per committed transaction. */
  globalRevision(): number;

  /**
   * Runs `plan` synchronously against the latest view (committed + queued), and if it returns puts,
   * queues them as ONE atomic transaction. The promise resolves with the new global revision only
   * after the transaction is durable (fsynced); until then readers of get() do not see it.
   * If plan throws, nothing is queued and the promise rejects with that error.
   * Transactions commit in the order transact() was called.
   */
  transact(plan: (view: KvView) => KvPut[]): Promise<number>;

  /** Changes after `revision` (exclusive), oldest first; 'compacted' if that history is no longer kept. */
  changesSince(revision: number): KvChange[] | 'compacted';
  /** Called after each durable commit with its changes. Returns an unsubscribe function. */
  subscribe(listener: (changes: KvChange[], globalRevision: number) => void): () => void;

  close(): Promise<void>;
}

export interface KvStoreStats {
  keys: number;
  logBytes: number;
  snapshotRevision: number;
}
