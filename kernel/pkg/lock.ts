// A lock file shared by processes on one machine: created with O_EXCL, holding the owner's pid and a
// nonce. A lock whose owner is gone is stale and gets broken; breaking is itself serialised by a short-lived
// `.break` file, so two waiters can never both break and then delete each other's fresh lock.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../lib/errors.js';
import { isProcessAlive } from '../lib/process-alive.js';

export interface LockOptions {
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
  /** What is being locked, for the timeout message. */
  what?: string;
}

const BREAK_LOCK_STALE_MS = 10_000;

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

function ownerPid(content: string): number | undefined {
  try {
    const pid = (JSON.parse(content) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `path` if it still holds `seen` and its owner is dead. */
async function breakIfStale(path: string, seen: string): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker, String(process.pid)))) {
    const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > BREAK_LOCK_STALE_MS) await unlink(breaker).catch(() => {});
    return;
  }
  try {
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now === seen) await unlink(path).catch(() => {});
  } finally {
    await unlink(breaker).catch(() => {});
  }
}

async function stillStale(path: string): Promise<string | undefined> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = ownerPid(content);
  // A lock file being written has no content yet; only call it stale once it names a dead pid
  // or has stayed unreadable past the break timeout.
  if (pid !== undefined) return isProcessAlive(pid) ? undefined : content;
  const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
  return age > BREAK_LOCK_STALE_MS ? content : undefined;
}

/** Waits for the lock at `path`; resolves with the function that releases it. */
export async function acquireFileLock(path: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const content = JSON.stringify({ pid: process.pid, nonce: randomBytes(8).toString('hex'), at: new Date().toISOString() });
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let wait = 10;
  for (;;) {
    if (await tryCreate(path, content)) {
      return async () => {
        const now = await readFile(path, 'utf8').catch(() => undefined);
        if (now === content) await unlink(path).catch(() => {});
      };
    }
    const stale = await stillStale(path);
    if (stale !== undefined) {
      await breakIfStale(path, stale);
      continue;
    }
    if (Date.now() > deadline) {
      const holder = ownerPid(await readFile(path, 'utf8').catch(() => '')) ?? 'unknown';
      throw new KrpcError('TIMEOUT', `${opts.what ?? path} is locked by process ${holder}; wait for it to finish or stop that process`);
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
