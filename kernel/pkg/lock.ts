// A lock file shared by processes on one machine: created exclusively, holding the owner's stamp (pid,
// start time, boot id: see lib/process-alive.ts) and a nonce. A lock whose owner is gone — exited, a
// zombie, or its pid now taken by another process — is stale and gets broken; breaking is serialised by a
// short-lived `.break` file (lib/lock-file.ts), so two waiters can never both break and then delete each
// other's fresh lock. Locks written before the stamp hold only {pid, nonce, at} and are judged by the
// pid rule plus the zombie check.
import { readFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../lib/errors.js';
import { describeProcess, isHolderAlive, ownStamp, parseStamp, type HolderStamp } from '../lib/process-alive.js';
import { breakIfStale, createExclusive, unlinkIfUnchanged } from '../lib/lock-file.js';

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** What is being locked, for the timeout message. */
  what?: string;
}

const UNREADABLE_STALE_MS = 10_000;

function owner(content: string): HolderStamp | undefined {
  try {
    return parseStamp(JSON.parse(content));
  } catch {
    return undefined;
  }
}

async function stillStale(path: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const holder = owner(content);
  // Locks are linked into place whole, but an older version created them empty and wrote after; only
  // call one stale once it names a dead holder or has stayed unreadable past the timeout.
  if (holder !== undefined) {
    // Naming our pid but not our stamp: an earlier process had this pid (older version, previous boot).
    const me = ownStamp();
    if (holder.pid === me.pid) return holder.start === me.start && holder.boot === me.boot ? undefined : content;
    return isHolderAlive(holder) ? undefined : content;
  }
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
  return age > UNREADABLE_STALE_MS ? content : undefined;
}

/** Waits for the lock at `path`; resolves with the function that releases it. */
export async function acquireFileLock(path: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const content = JSON.stringify({ ...ownStamp(), nonce: randomBytes(8).toString('hex'), at: new Date().toISOString() });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let wait = 10;
  for (;;) {
    if (await createExclusive(path, content)) return () => unlinkIfUnchanged(path, content);
    const stale = await stillStale(path);
    if (stale !== undefined) {
      await breakIfStale(path, stale);
      continue;
    }
    if (Date.now() > deadline) {
      const holder = owner(await readFile(path, 'utf8').catch(() => ''));
      throw new KrpcError('TIMEOUT', `${opts.what ?? path} is locked by ${holder ? describeProcess(holder.pid) : 'an unknown process'}; wait for it to finish or stop that process`);
    }
    await sleep(wait);
    wait = Math.min(wait * 2, 200);
  }
}

/** Serialises callers within this process per key, so the file lock is only contended across processes. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
