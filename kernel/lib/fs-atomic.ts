// Durable file writes: write a temp file, fsync it, rename over the target, fsync the directory.
import { open, rename, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes all of `data` at `position`. One write may store only part of it (a disk that fills up midway
 * does this before it says ENOSPC); the rest is written until done or the error comes.
 */
export async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let written = 0; written < data.length;) {
    const { bytesWritten } = await fh.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Where the temp file goes (on the target's file system); the target's folder by default. */
  tmpDir?: string;
  /** Skip the folder fsync: the caller makes many renames durable at once with fsyncDir. */
  deferDirSync?: boolean;
}

/** Whether `name` is one of writeFileAtomic's temp files for `file` (left behind by a crash). */
export const isAtomicTempOf = (name: string, file: string) => name.startsWith(`.${file}.`) && name.endsWith('.tmp');

/** Durably replaces `path` with `data`, or with what `fill` writes to the open temp file (large content in pieces). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array | ((fh: FileHandle) => Promise<void>),
  modeOrOptions: number | AtomicWriteOptions = 0o644,
): Promise<void> {
  const opts = typeof modeOrOptions === 'number' ? { mode: modeOrOptions } : modeOrOptions;
  const dir = dirname(path);
  if (opts.tmpDir === undefined) await mkdir(dir, { recursive: true });
  const tmp = join(opts.tmpDir ?? dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', opts.mode ?? 0o644);
  try {
    if (typeof data === 'function') await data(fh);
    else await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  if (opts.tmpDir !== undefined) await mkdir(dir, { recursive: true });
  await rename(tmp, path);
  if (!opts.deferDirSync) await fsyncDir(dir);
}
