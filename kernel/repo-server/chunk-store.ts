// The repo's content-addressed chunk store: `<root>/chunks/<aa>/<sha256>`, each chunk written once
// (tmp + fsync + rename) after its hash is checked, so a chunk file is always complete and correct and
// two pkgs that share a chunk share one file.
import { mkdir, readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { fsyncDir, writeFileAtomic } from '../lib/fs-atomic.js';
import { sha256Hex } from '../pkg/canonical-json.js';

export const SHA256_RE = /^[0-9a-f]{64}$/;

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

export class ChunkStore {
  private count = 0;
  private bytes = 0;
  /** Counting what is on disk runs in the background so a big store does not slow the OOD's start. */
  private counted: Promise<void> = Promise.resolve();
  /** Chunks written or removed while that count runs; they are counted (if present) once it is done. */
  private touched: Set<string> | undefined;
  private countProblem: string | undefined;
  private readonly writing = new Map<string, Promise<boolean>>();
  /** Fan-out dirs that got a new entry since the last flush(). */
  private readonly unsynced = new Set<string>();

  private constructor(
    readonly dir: string,
    private readonly tmpDir: string,
  ) {}

  /** Opens (creating) the store under `root`; `tmpDir` must be on the same file system. */
  static async open(root: string, tmpDir: string): Promise<ChunkStore> {
    const store = new ChunkStore(join(root, 'chunks'), tmpDir);
    await mkdir(store.dir, { recursive: true });
    await mkdir(tmpDir, { recursive: true });
    store.touched = new Set();
    store.counted = store.countExisting().catch((e) => {
      store.touched = undefined;
      store.countProblem = `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    });
    return store;
  }

  private async countExisting(): Promise<void> {
    const touched = this.touched!;
    for await (const c of this.list()) {
      if (touched.has(c.sha)) continue;
      this.count++;
      this.bytes += c.size;
    }
    for (const sha of touched) {
      const size = await this.size(sha);
      if (size === undefined) continue;
      this.count++;
      this.bytes += size;
    }
    this.touched = undefined;
  }

  path(sha: string): string {
    if (!SHA256_RE.test(sha)) throw new KrpcError('INVALID_PARAMS', `${JSON.stringify(sha.slice(0, 80))} is not a sha256 chunk id (64 lower-case hex digits)`);
    return join(this.dir, sha.slice(0, 2), sha);
  }

  /** The chunk's size, or undefined when the store does not hold it. */
  async size(sha: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(sha))).size;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async has(sha: string): Promise<boolean> {
    return (await this.size(sha)) !== undefined;
  }

  /** Stores `data` as chunk `sha` unless it is already there; resolves true when it was new. */
  put(sha: string, data: Uint8Array): Promise<boolean> {
    const target = this.path(sha);
    if (sha256Hex(data) !== sha) return Promise.reject(new KrpcError('INTEGRITY', `chunk ${sha} is damaged: its content does not match its hash`));
    const pending = this.writing.get(sha);
    if (pending) return pending;
    const write = this.write(sha, target, data).finally(() => this.writing.delete(sha));
    this.writing.set(sha, write);
    return write;
  }

  private async write(sha: string, target: string, data: Uint8Array): Promise<boolean> {
    if (await this.has(sha)) return false;
    // The fan-out dirs are fsynced in batches by flush().
    await writeFileAtomic(target, data, { tmpDir: this.tmpDir, deferDirSync: true });
    this.unsynced.add(join(this.dir, sha.slice(0, 2)));
    if (this.touched) this.touched.add(sha);
    else {
      this.count++;
      this.bytes += data.length;
    }
    return true;
  }

  /** Makes the renames of every chunk stored so far durable (one fsync per touched directory). */
  async flush(): Promise<void> {
    const dirs = [...this.unsynced];
    this.unsynced.clear();
    for (const d of dirs) await fsyncDir(d);
    if (dirs.length > 0) await fsyncDir(this.dir);
  }

  /** Deletes the chunk; resolves with the bytes freed (0 when it was not there). */
  async remove(sha: string): Promise<number> {
    const path = this.path(sha);
    const size = await this.size(sha);
    if (size === undefined) return 0;
    try {
      await unlink(path);
    } catch (e) {
      if (isMissing(e)) return 0;
      throw e;
    }
    if (this.touched) this.touched.add(sha);
    else {
      this.count--;
      this.bytes -= size;
    }
    return size;
  }

  async *list(): AsyncIterable<{ sha: string; size: number }> {
    for (const fan of await readdir(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(fan)) continue;
      for (const sha of await readdir(join(this.dir, fan)).catch(() => [] as string[])) {
        if (!SHA256_RE.test(sha) || sha.slice(0, 2) !== fan) continue;
        const size = await stat(join(this.dir, fan, sha)).then((s) => s.size, () => undefined);
        if (size !== undefined) yield { sha, size };
      }
    }
  }

  async stats(): Promise<{ chunks: number; bytes: number }> {
    await this.counted;
    if (this.countProblem) throw new KrpcError('UNAVAILABLE', `the chunk store at ${this.dir} could not be counted (${this.countProblem}); check the folder and restart the repo`);
    return { chunks: this.count, bytes: this.bytes };
  }
}
