// One writer per KV folder: a LOCK file naming the owner. Two processes appending to the same log would
// interleave records and corrupt it. A lock left by a crashed process is taken over; "crashed" means the
// pid is gone, is a zombie, or now belongs to another process (its start time or the boot id differs) —
// see lib/process-alive.ts. The file's first line is the bare pid (what versions before the stamp wrote
// and read, so an older binary still reads a new lock); the second line is the JSON stamp
// {pid, start, boot, nonce}. A lock with only the pid line is judged by the pid rule plus the zombie check.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../../lib/errors.js';
import { describeProcess, isHolderAlive, ownStamp, parseStamp, type HolderStamp } from '../../lib/process-alive.js';
import { breakIfStale, createExclusive, unlinkIfUnchanged } from '../../lib/lock-file.js';

export const LOCK_FILE = 'LOCK';

/** The holder a LOCK file names; undefined when it names none (empty or garbage: stale). */
export function parseDirLock(text: string): HolderStamp | undefined {
  const [first, second] = text.split('\n');
  const pid = /^\s*\d+\s*$/.test(first ?? '') ? Number(first) : NaN;
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (second?.trim()) {
    try {
      const stamp = parseStamp(JSON.parse(second));
      if (stamp?.pid === pid) return stamp;
    } catch {
      // a damaged stamp line: judge by the pid
    }
  }
  return { pid };
}

export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me = ownStamp();
  const content = `${me.pid}\n${JSON.stringify({ ...me, nonce: randomBytes(8).toString('hex') })}\n`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await createExclusive(path, content, 0o600)) return () => unlinkIfUnchanged(path, content);
    const seen = await readFile(path, 'utf8').catch(() => undefined);
    if (seen === undefined) continue; // released meanwhile
    const holder = parseDirLock(seen);
    if (holder?.pid === me.pid) {
      if (holder.start === me.start && holder.boot === me.boot)
        throw new KrpcError('FAILED_PRECONDITION', `the KV store in ${dir} is already open in this process; close it before opening it again`);
      // else an earlier process had our pid (an older version's lock, or a previous boot's): stale
    } else if (holder && isHolderAlive(holder))
      throw new KrpcError('FAILED_PRECONDITION', `the KV store in ${dir} is in use by ${describeProcess(holder.pid)}; stop that process first (or delete ${path} if it is not a BuckyOS node)`);
    await breakIfStale(path, seen);
    // another opener may be breaking the same stale lock; give it a moment before looking again
    if (attempt > 0) await sleep(10);
  }
  throw new KrpcError('FAILED_PRECONDITION', `could not lock the KV store in ${dir}: another process keeps taking ${path}`);
}
