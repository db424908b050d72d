// Log segment files: `wal-<first global revision, 16 digits>.log`, appended durably: opened with
// O_DSYNC where the platform has it (each write returns once it is on stable storage, as if followed
// by fdatasync: one syscall and one thread-pool round trip instead of two), else write + fdatasync.
// A new segment is created exclusively and its directory entry fsynced before any record in it is
// acknowledged, so the file cannot vanish after a power cut while the records it holds were promised.
import { constants } from 'node:fs';
import { open, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../../lib/fs-atomic.js';

export interface SegmentInfo {
  start: number;
  path: string;
  bytes: number;
}

const DSYNC: number | undefined = constants.O_DSYNC;
const APPEND_FLAGS = constants.O_WRONLY | constants.O_APPEND | (DSYNC ?? 0);

export const segmentFileName = (start: number) => `wal-${String(start).padStart(16, '0')}.log`;

export function parseSegmentFileName(name: string): number | undefined {
  const m = /^wal-(\d{16})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export class SegmentWriter {
  private constructor(private readonly fh: FileHandle, readonly info: SegmentInfo) {}

  static async create(dir: string, start: number): Promise<SegmentWriter> {
    const path = join(dir, segmentFileName(start));
    const fh = await open(path, APPEND_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fsyncDir(dir);
    } catch (e) {
      await fh.close();
      throw e;
    }
    return new SegmentWriter(fh, { start, path, bytes: 0 });
  }

  /** Reopens an existing segment for appending, first cutting off anything after `validBytes` (a torn tail). */
  static async reopen(info: SegmentInfo, fileBytes: number): Promise<SegmentWriter> {
    if (fileBytes > info.bytes) {
      await truncate(info.path, info.bytes);
      const fh = await open(info.path, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
    }
    return new SegmentWriter(await open(info.path, APPEND_FLAGS), info);
  }

  /** Appends `data` and returns once it is on stable storage. */
  async appendDurably(data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.fh.write(data, written, data.length - written);
      written += bytesWritten;
    }
    this.info.bytes += data.length;
    if (DSYNC === undefined) await this.fh.datasync();
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}
