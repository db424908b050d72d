// Building blocks of the pid-file locks (kv/LOCK, the pkg-env locks): creating a lock file that never
// exists half-written, and breaking a stale one without ever deleting a fresh lock another process just
// took. Who counts as a live holder is process-alive.ts's business.
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { isHolderAlive, ownStamp, parseStamp } from './process-alive.js';

/** A `.break` file older than this is a crashed breaker's leftover even if its content can't be read. */
const BREAK_LOCK_STALE_MS = 10_000;

/**
 * Creates `path` holding `content` if no file is there: true when we created it, false when it exists.
 * The content goes to a private temp file first and is hard-linked into place (link(2) fails with
 * EEXIST like O_EXCL), so readers never see an empty or partial lock.
 */
export async function createExclusive(path: string, content: string, mode = 0o644): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode, flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}

/** Removes `path` only if it still holds exactly `content` (ours, or the stale one we judged). */
export async function unlinkIfUnchanged(path: string, content: string): Promise<void> {
  const now = await readFile(path, 'utf8').catch(() => undefined);
  if (now === content) await unlink(path).catch(() => {});
}

async function breakerIsStale(breaker: string): Promise<boolean> {
  const text = await readFile(breaker, 'utf8').catch(() => undefined);
  if (text === undefined) return false; // gone already: just retry
  let holder;
  try {
    holder = parseStamp(JSON.parse(text));
  } catch {
    holder = undefined;
  }
  if (holder) return !isHolderAlive(holder);
  return stat(breaker).then((s) => Date.now() - s.mtimeMs > BREAK_LOCK_STALE_MS, () => false);
}

/**
 * Removes the lock at `path` if it still holds `seen` (content whose holder was judged dead). Breakers
 * are serialised by a `<path>.break` file, so one can never read the stale lock, lose the CPU while
 * another breaker replaces it with a fresh lock, and then delete that fresh lock. Every lock carries a
 * random nonce, so a fresh lock never equals a stale one. Returns without breaking when another
 * breaker is at work; the caller looks again.
 */
export async function breakIfStale(path: string, seen: string): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, JSON.stringify(ownStamp())))) {
    if (await breakerIsStale(breaker)) await unlink(breaker).catch(() => {});
    return;
  }
  try {
    await unlinkIfUnchanged(path, seen);
  } finally {
    await unlink(breaker).catch(() => {});
  }
}
