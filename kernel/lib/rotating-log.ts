// A log file with size-based rotation: <name>.log, <name>.log.1 … <name>.log.<files-1> (app instances' output, the kernel log).
// Writes are queued and applied in order; write() returns false while the backlog is large so the
// caller can pause the process's pipes instead of buffering without bound.
import { open, rename, rm, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RotationPolicy {
  maxBytes: number;
  files: number;
}

export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 5 * 1024 * 1024, files: 3 };
const HIGH_WATER = 1024 * 1024;

export class RotatingLog {
  private queue: Buffer[] = [];
  private queued = 0;
  private pumping: Promise<void> | undefined;
  private drainWaiters: (() => void)[] = [];
  private fh: FileHandle | undefined;
  private size = 0;
  private closed = false;

  /** `mode` applies to files it creates: logs are the kernel's (an app's output too), not other apps'. */
  constructor(readonly path: string, private readonly policy: RotationPolicy = DEFAULT_ROTATION, private readonly mode = 0o600) {}

  write(chunk: Buffer | string): boolean {
    if (this.closed) return true;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.queue.push(buf);
    this.queued += buf.length;
    this.pumping ??= this.pump();
    return this.queued < HIGH_WATER;
  }

  /** Resolves when everything written so far is on disk. */
  drained(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  async close(): Promise<void> {
    // Output that arrives while draining still lands; `closed` is set in the same step that saw no
    // pump running, so no later write can start one that opens the file again after it is closed.
    while (this.pumping) await this.drained();
    this.closed = true;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const buf = this.queue.shift()!;
        this.queued -= buf.length;
        await this.append(buf);
      }
    } catch {
      // A full or read-only disk must not take the instance down; its output is dropped instead.
      this.queue = [];
      this.queued = 0;
    } finally {
      this.pumping = undefined;
      for (const r of this.drainWaiters.splice(0)) r();
    }
  }

  private async append(buf: Buffer): Promise<void> {
    if (!this.fh) {
      await mkdir(dirname(this.path), { recursive: true });
      this.fh = await open(this.path, 'a', this.mode);
      this.size = (await this.fh.stat()).size;
    }
    if (this.size > 0 && this.size + buf.length > this.policy.maxBytes) await this.rotate();
    await this.fh.write(buf);
    this.size += buf.length;
  }

  private async rotate(): Promise<void> {
    const fh = this.fh!;
    this.fh = undefined;
    await fh.close();
    const last = this.policy.files - 1;
    await rm(`${this.path}.${last}`, { force: true });
    for (let i = last - 1; i >= 1; i--) await rename(`${this.path}.${i}`, `${this.path}.${i + 1}`).catch(() => {});
    if (last >= 1) await rename(this.path, `${this.path}.1`);
    else await rm(this.path, { force: true });
    this.fh = await open(this.path, 'a', this.mode);
    this.size = 0;
  }
}
