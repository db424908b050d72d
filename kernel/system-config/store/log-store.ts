// The embedded durable KvStore: an append-only log of transaction records plus a lowdb-format JSON
// snapshot, in one folder (<data>/kv):
//   snapshot.json        state at some global revision S (see snapshot.ts)
//   wal-<start>.log      records of revisions start, start+1, … (log-record.ts), in zero-preallocated
//                        files written with O_DSYNC (log-segment.ts); replay applies those > S
//   LOCK                 the one process that may write here: pid, then its start time and boot id (dir-lock.ts)
// Writes: transact() plans against committed + queued state, encodes its record and queues it. One
// commit loop writes everything queued as ONE durable write (group commit), then applies the batch
// to the readable state, notifies subscribers and resolves the callers, in order.
// Compaction: once the log outgrows max(compactAfterBytes, 2 × snapshot size), the loop starts a new
// segment at R+1 and a copy of the state at R is written as the new snapshot in the background while
// writes keep flowing; then segments before R+1 are deleted. Snapshot cost is proportional to the store
// size and happens once per that many log bytes, so the amortized cost of a write stays flat.
// A crash at any point leaves either the old snapshot with all segments or the new snapshot with
// segments that replay skips up to S; open() removes leftovers and zeroes a torn log tail.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KrpcError, diskFull, isDiskFull } from '../../lib/errors.js';
import { silentLogger, type Logger } from '../../lib/log.js';
import { ChangeHistory } from './change-history.js';
import { lockDir } from './dir-lock.js';
import { MAX_BATCH_BYTES, encodeRecord, scanSegment, type SegmentScan } from './log-record.js';
import { NothingWritten, SegmentWriter, parseSegmentFileName, type SegmentInfo } from './log-segment.js';
import { isSnapshotTemp, readSnapshot, writeSnapshot, type KvState } from './snapshot.js';
import type { KvChange, KvEntry, KvPut, KvStore, KvStoreStats, KvView } from './types.js';

export interface LogStoreOptions {
  /** Minimum log size before compaction (default 16 MiB); tests use a tiny value to compact often. */
  compactAfterBytes?: number;
  log?: Logger;
}

export type LogStore = KvStore & { stats(): KvStoreStats };

const DEFAULT_COMPACT_AFTER_BYTES = 16 * 1024 * 1024;

interface QueuedTxn {
  revision: number;
  changes: KvChange[];
  record: Buffer;
  resolve(revision: number): void;
  reject(error: unknown): void;
}

export async function openLogStore(dir: string, opts: LogStoreOptions = {}): Promise<LogStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDir(dir);
  try {
    return await recover(dir, opts, unlock);
  } catch (e) {
    await unlock();
    throw e;
  }
}

async function recover(dir: string, opts: LogStoreOptions, unlock: () => Promise<void>): Promise<LogStore> {
  const log = opts.log ?? silentLogger;
  const names = await readdir(dir);
  for (const name of names.filter(isSnapshotTemp)) await rm(join(dir, name), { force: true });

  const snapshot = await readSnapshot(dir);
  const state: KvState = { revision: snapshot.revision, entries: snapshot.entries, tombstones: snapshot.tombstones };
  const history = new ChangeHistory();
  const segments: SegmentInfo[] = names
    .map((name) => ({ name, start: parseSegmentFileName(name) }))
    .filter((s): s is { name: string; start: number } => s.start !== undefined)
    .sort((a, b) => a.start - b.start)
    .map((s) => ({ start: s.start, path: join(dir, s.name), bytes: 0 }));

  const chunkBytes = preallocChunkBytes(opts);
  let lastFile = { bytes: 0, dirtyEnd: 0 };
  for (const [i, segment] of segments.entries()) {
    const data = await readFile(segment.path);
    const scan = scanSegment(data, segment.path);
    const isLast = i === segments.length - 1;
    const torn = scan.dirtyEnd > scan.validBytes;
    if (torn && (scan.damaged || !(isLast && canBeTornWrite(scan))))
      throw new KrpcError('INTEGRITY', `KV log ${segment.path} is damaged at byte ${scan.validBytes}, with ${scan.dirtyEnd - scan.validBytes} bytes of data after it that may hold acknowledged writes; restore the kv folder from a backup`);
    if (scan.records.length > 0 && scan.records[0].revision !== segment.start)
      throw new KrpcError('INTEGRITY', `KV log ${segment.path} starts at revision ${scan.records[0].revision}, not at the one in its name; restore the kv folder from a backup`);
    for (const record of scan.records) {
      if (record.revision <= snapshot.revision) continue;
      if (record.revision !== state.revision + 1)
        throw new KrpcError('INTEGRITY', `KV log ${segment.path} jumps from revision ${state.revision} to ${record.revision}; restore the kv folder from a backup`);
      const changes = planChanges((key) => revisionIn(state, key), record.puts, record.revision);
      applyChanges(state, changes, record.revision);
      history.add(record.revision, changes);
    }
    segment.bytes = scan.validBytes;
    if (isLast) lastFile = { bytes: data.length, dirtyEnd: scan.dirtyEnd };
    if (torn) log.warn('cut a torn tail off the KV log (a write that was never acknowledged)', { segment: segment.path, validBytes: scan.validBytes, tornBytes: scan.dirtyEnd - scan.validBytes });
  }

  // Segments wholly covered by the snapshot are leftovers of a compaction interrupted after its rename.
  while (segments.length > 1 && segments[1].start <= snapshot.revision + 1) {
    await rm(segments[0].path, { force: true });
    segments.shift();
  }
  let active: SegmentWriter;
  const last = segments.at(-1);
  if (last && last.bytes > 0) {
    active = await SegmentWriter.reopen(last, lastFile.bytes, lastFile.dirtyEnd, chunkBytes);
  } else {
    if (last) {
      await rm(last.path, { force: true });
      segments.pop();
    }
    active = await SegmentWriter.create(dir, state.revision + 1, chunkBytes);
    segments.push(active.info);
  }
  log.info('KV store opened', { dir, revision: state.revision, keys: state.entries.size, snapshotRevision: snapshot.revision, segments: segments.length });
  return new DurableLogStore(dir, state, history, segments, active, snapshot, opts, chunkBytes, log, unlock);
}

/**
 * Only the last group-commit write can be torn (kill -9 cuts it short; after a power cut any of its
 * unsynced pages may be missing), and one write is at most MAX_BATCH_BYTES. Non-zero bytes reaching
 * further are damage to acknowledged records, never cut silently.
 */
const canBeTornWrite = (scan: SegmentScan) => scan.dirtyEnd - scan.validBytes <= MAX_BATCH_BYTES;

/** Zero-fill granularity of log segments: a quarter of the compaction threshold, within 64 KiB–4 MiB. */
function preallocChunkBytes(opts: LogStoreOptions): number {
  const quarter = Math.floor((opts.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES) / 4);
  return Math.min(4 * 1024 * 1024, Math.max(64 * 1024, quarter));
}

/** The changes `puts` make, with per-key revisions counted from `revisionOf` (a key may repeat). */
function planChanges(revisionOf: (key: string) => number, puts: KvPut[], globalRevision: number): KvChange[] {
  const seen = new Map<string, number>();
  return puts.map(({ key, value }) => {
    const revision = (seen.get(key) ?? revisionOf(key)) + 1;
    seen.set(key, revision);
    return { key, value, revision, globalRevision };
  });
}

function applyChanges(state: KvState, changes: KvChange[], globalRevision: number): void {
  for (const c of changes) {
    if (c.value === null) {
      state.entries.delete(c.key);
      state.tombstones.set(c.key, c.revision);
    } else {
      state.entries.set(c.key, { value: c.value, revision: c.revision });
      state.tombstones.delete(c.key);
    }
  }
  state.revision = globalRevision;
}

const revisionIn = (state: KvState, key: string) => state.entries.get(key)?.revision ?? state.tombstones.get(key) ?? 0;

function assertPuts(puts: unknown): asserts puts is KvPut[] {
  if (!Array.isArray(puts)) throw new TypeError('a transaction plan must return an array of puts');
  for (const p of puts) {
    if (!p || typeof p.key !== 'string' || (p.value !== null && typeof p.value !== 'string'))
      throw new TypeError('every put needs a string key and a string or null value');
  }
}

class DurableLogStore implements KvStore {
  /** Queued (not yet durable) changes, newest per key: what transact() plans see on top of `state`. */
  private readonly overlay = new Map<string, KvChange>();
  private queue: QueuedTxn[] = [];
  private queuedRevision: number;
  private lastQueued: Promise<number> = Promise.resolve(0);
  private committing: Promise<void> | undefined;
  private compaction: Promise<void> | undefined;
  private nextCompactionAt: number;
  private snapshotRevision: number;
  private snapshotBytes: number;
  private failure: KrpcError | undefined;
  private closing: Promise<void> | undefined;
  private readonly listeners = new Set<(changes: KvChange[], globalRevision: number) => void>();
  private readonly compactAfterBytes: number;

  private readonly latest: KvView = {
    get: (key) => {
      const queued = this.overlay.get(key);
      if (!queued) return this.state.entries.get(key);
      return queued.value === null ? undefined : { value: queued.value, revision: queued.revision };
    },
    revisionOf: (key) => this.overlay.get(key)?.revision ?? revisionIn(this.state, key),
    keysWithPrefix: (prefix) => {
      const keys = this.keysWithPrefix(prefix).filter((k) => !this.overlay.has(k));
      for (const [key, c] of this.overlay) if (c.value !== null && key.startsWith(prefix)) keys.push(key);
      return keys;
    },
  };

  constructor(
    private readonly dir: string,
    private readonly state: KvState,
    private readonly history: ChangeHistory,
    private readonly segments: SegmentInfo[],
    private active: SegmentWriter,
    snapshot: { revision: number; bytes: number },
    opts: LogStoreOptions,
    private readonly chunkBytes: number,
    private readonly log: Logger,
    private readonly unlock: () => Promise<void>,
  ) {
    this.queuedRevision = state.revision;
    this.snapshotRevision = snapshot.revision;
    this.snapshotBytes = snapshot.bytes;
    this.compactAfterBytes = Math.max(1, opts.compactAfterBytes ?? DEFAULT_COMPACT_AFTER_BYTES);
    this.nextCompactionAt = this.compactionThreshold();
  }

  get(key: string): KvEntry | undefined {
    return this.state.entries.get(key);
  }

  revisionOf(key: string): number {
    return revisionIn(this.state, key);
  }

  keysWithPrefix(prefix: string): string[] {
    const keys: string[] = [];
    for (const key of this.state.entries.keys()) if (key.startsWith(prefix)) keys.push(key);
    return keys;
  }

  globalRevision(): number {
    return this.state.revision;
  }

  transact(plan: (view: KvView) => KvPut[]): Promise<number> {
    const unusable = this.failure ?? (this.closing ? new KrpcError('UNAVAILABLE', 'the KV store is closed; the node is shutting down') : undefined);
    if (unusable) return Promise.reject(unusable);
    let puts: KvPut[];
    try {
      puts = plan(this.latest);
      assertPuts(puts);
    } catch (e) {
      return Promise.reject(e);
    }
    if (puts.length === 0) {
      const seen = this.queuedRevision;
      return seen === this.state.revision ? Promise.resolve(seen) : this.lastQueued.then(() => seen);
    }
    const revision = this.queuedRevision + 1;
    const record = encodeRecord(revision, puts);
    if (record.length > MAX_BATCH_BYTES)
      return Promise.reject(new KrpcError('PAYLOAD_TOO_LARGE', `one transaction may write at most ${MAX_BATCH_BYTES >> 20} MiB; split it into several`));
    this.queuedRevision = revision;
    const changes = planChanges(this.latest.revisionOf, puts, revision);
    for (const c of changes) this.overlay.set(c.key, c);
    const done = new Promise<number>((resolve, reject) => this.queue.push({ revision, changes, record, resolve, reject }));
    this.lastQueued = done;
    this.committing ??= this.commitLoop();
    return done;
  }

  changesSince(revision: number): KvChange[] | 'compacted' {
    return this.history.since(revision, this.state.revision);
  }

  subscribe(listener: (changes: KvChange[], globalRevision: number) => void): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  stats(): KvStoreStats {
    return { keys: this.state.entries.size, logBytes: this.logBytes(), snapshotRevision: this.snapshotRevision };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.committing;
      await this.compaction;
      this.listeners.clear();
      try {
        await this.active.close();
      } finally {
        await this.unlock();
      }
    })();
    return this.closing;
  }

  private async commitLoop(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.takeBatch();
        try {
          await this.active.appendDurably(batch.length === 1 ? batch[0].record : Buffer.concat(batch.map((t) => t.record)));
        } catch (e) {
          if (e instanceof NothingWritten) {
            this.refuseQueued(e.cause, batch);
            continue;
          }
          this.fail(e, batch);
          return;
        }
        for (const txn of batch) this.commit(txn);
        if (!this.compaction && this.logBytes() >= this.nextCompactionAt) await this.startCompaction();
      }
    } finally {
      // Cleared in the same synchronous step that saw the queue empty, so a transact() issued by a
      // resolved caller's continuation always starts a new loop.
      this.committing = undefined;
    }
  }

  private takeBatch(): QueuedTxn[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n].record.length <= MAX_BATCH_BYTES)) bytes += this.queue[n++].record.length;
    const batch = this.queue.slice(0, n);
    this.queue = n === this.queue.length ? [] : this.queue.slice(n);
    return batch;
  }

  private commit(txn: QueuedTxn): void {
    applyChanges(this.state, txn.changes, txn.revision);
    for (const c of txn.changes) if (this.overlay.get(c.key) === c) this.overlay.delete(c.key);
    this.history.add(txn.revision, txn.changes);
    for (const listener of this.listeners) {
      try {
        listener(txn.changes, txn.revision);
      } catch (e) {
        this.log.warn('a KV change listener threw', { err: (e as Error)?.message });
      }
    }
    txn.resolve(txn.revision);
  }

  /**
   * The log could not grow (a full disk, typically) and nothing was written: refuse this batch and,
   * since their revisions and plans were counted on top of it, everything queued behind it. The store
   * stays usable; the next write tries to grow the log again.
   */
  private refuseQueued(error: unknown, batch: QueuedTxn[]): void {
    const refusal = isDiskFull(error)
      ? diskFull(this.dir, 'nothing was written')
      : new KrpcError('UNAVAILABLE', `the KV store could not grow its log in ${this.dir} (${(error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message}); nothing was written; try again`);
    this.log.warn('KV log could not grow; refused the queued writes, nothing was written', { dir: this.dir, refused: batch.length + this.queue.length, err: (error as Error)?.message });
    for (const txn of [...batch, ...this.queue]) txn.reject(refusal);
    this.queue = [];
    this.overlay.clear();
    this.queuedRevision = this.state.revision;
    this.lastQueued = Promise.resolve(this.state.revision);
  }

  /** After a failed log write nothing queued can be trusted: refuse every write until a restart. */
  private fail(error: unknown, batch: QueuedTxn[]): void {
    const code = (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.message;
    this.failure = isDiskFull(error)
      ? new KrpcError('RESOURCE_EXHAUSTED', `the disk holding ${this.dir} filled up in the middle of a KV log write; free some space on it, then restart the node (writes that were not acknowledged are discarded)`)
      : new KrpcError('UNAVAILABLE', `the KV store could not write its log in ${this.dir} (${code}); free disk space or fix the disk, then restart the node`);
    this.log.error('KV log write failed; the store now refuses writes', { dir: this.dir, err: (error as Error)?.message });
    for (const txn of [...batch, ...this.queue]) txn.reject(this.failure);
    this.queue = [];
  }

  private logBytes(): number {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return bytes;
  }

  private compactionThreshold(): number {
    return Math.max(this.compactAfterBytes, 2 * this.snapshotBytes);
  }

  /** Called by the commit loop between batches, so the committed state is exactly revision R. */
  private async startCompaction(): Promise<void> {
    const revision = this.state.revision;
    if (this.active.info.bytes > 0) {
      let next: SegmentWriter;
      try {
        next = await SegmentWriter.create(this.dir, revision + 1, this.chunkBytes);
      } catch (e) {
        this.log.warn('KV compaction could not start a new log segment; will retry later', { err: (e as Error)?.message });
        this.nextCompactionAt = this.logBytes() + this.compactionThreshold();
        return;
      }
      const previous = this.active;
      this.active = next;
      this.segments.push(next.info);
      // Every record in it is already durable (each write is synced), so a failed close loses nothing.
      await previous.close().catch((e) => this.log.warn('KV could not close a finished log segment', { segment: previous.info.path, err: (e as Error)?.message }));
    }
    const copy: KvState = { revision, entries: new Map(this.state.entries), tombstones: new Map(this.state.tombstones) };
    this.log.debug('KV compaction started', { revision });
    this.compaction = this.writeSnapshotAndPrune(copy).finally(() => { this.compaction = undefined; });
  }

  private async writeSnapshotAndPrune(copy: KvState): Promise<void> {
    const started = Date.now();
    try {
      this.snapshotBytes = await writeSnapshot(this.dir, copy);
      this.snapshotRevision = copy.revision;
      while (this.segments.length > 1 && this.segments[0].start <= copy.revision) {
        await rm(this.segments[0].path, { force: true });
        this.segments.shift();
      }
      this.nextCompactionAt = this.compactionThreshold();
      this.log.debug('KV compaction done', { revision: copy.revision, snapshotBytes: this.snapshotBytes, ms: Date.now() - started });
    } catch (e) {
      this.nextCompactionAt = this.logBytes() + this.compactionThreshold();
      this.log.warn('KV compaction failed; the log keeps growing until it succeeds', { err: (e as Error)?.message });
    }
  }
}
