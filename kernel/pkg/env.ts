// The node's pkg-env: installed pkgs under `<root>/<name>/<version>/`, the active one behind the symlink
// `<root>/<name>/current` (and the one before it behind `previous`, for rollback). The installed versions
// are the chunk cache: an upgrade fetches only the chunks none of them holds, and hard-links files that
// did not change. An install is built in `<root>/.staging/` and appears with one rename once every file of
// it is fsynced: a failed or interrupted install leaves nothing behind, and every chunk is hashed before it
// is used.
import { link, mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { diskFull, isDiskFull, KrpcError } from '../lib/errors.js';
import { fsyncDir, writeAll } from '../lib/fs-atomic.js';
import { isHolderAlive, ownStamp, type HolderStamp } from '../lib/process-alive.js';
import { forEachLimit } from './each-limit.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { chunkLength, INSTALLED_META_FILE, metaIdOf, type PkgMeta } from './format.js';
import { assertPkgName, isExactVersion } from './id.js';
import { acquireFileLock, KeyedMutex } from './lock.js';
import type { FetchChunk } from './reader.js';
import { expectedChunkLengths, validateMeta } from './verify.js';

export interface InstallProgress {
  totalChunks: number;
  doneChunks: number;
  fetchedChunks: number;
  reusedChunks: number;
  fetchedBytes: number;
}

export interface InstallResult {
  name: string;
  version: string;
  metaId: string;
  dir: string;
  /** Bytes fetched through fetchChunk (0 when everything came from the local cache). */
  fetchedBytes: number;
  fetchedChunks: number;
  reusedChunks: number;
  /** True when this exact meta was already installed and nothing was done. */
  alreadyInstalled: boolean;
}

export interface GcResult {
  removedVersions: string[];
}

export interface PkgEnv {
  readonly root: string;
  dir(name: string, version: string): string;
  /** Installed versions of `name`, lowest first. */
  installed(name: string): Promise<string[]>;
  /** Every pkg name with at least one installed version. */
  names(): Promise<string[]>;
  current(name: string): Promise<string | undefined>;
  previous(name: string): Promise<string | undefined>;
  meta(name: string, version: string): Promise<PkgMeta | undefined>;
  install(meta: PkgMeta, fetchChunk: FetchChunk, onProgress?: (p: InstallProgress) => void): Promise<InstallResult>;
  /** Makes `version` current (atomic symlink swap); the version it replaces becomes `previous`. */
  activate(name: string, version: string): Promise<{ current: string; previous?: string }>;
  remove(name: string, version: string): Promise<void>;
  /** Removes versions beyond current, previous and the newest `keep` per pkg. */
  gc(keep?: number): Promise<GcResult>;
}

// Where earlier envs kept a copy of every chunk; the installed versions serve that purpose now.
const LEGACY_CHUNKS_DIR = '.chunks';
const STAGING_DIR = '.staging';
const CURRENT = 'current';
const PREVIOUS = 'previous';
const LOCK = '.lock';

// One mutex per lock file path for the whole process, so two PkgEnv objects on one root still queue.
const inProcess = new KeyedMutex();

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

function assertVersion(version: string): string {
  if (typeof version !== 'string' || !isExactVersion(version)) throw new KrpcError('INVALID_PARAMS', `${JSON.stringify(version)} is not an exact version like 1.2.3`);
  return version;
}

async function readLink(path: string): Promise<string | undefined> {
  try {
    return await readlink(path);
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw e;
  }
}

/** Where an installed (or staged) file holds a chunk. */
interface ChunkAt {
  path: string;
  offset: number;
}

/** Files with equal keys have equal bytes and mode. */
const fileKey = (f: PkgMeta['files'][number]) => `${f.mode} ${f.size} ${f.chunks.join(',')}`;

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// fsyncs run several at once, so the file system can fold them into fewer journal commits.
const SYNC_CONCURRENCY = 8;

/** Points `link` at `target` atomically: a new symlink renamed over the old one. */
async function swapLink(dir: string, link: string, target: string): Promise<void> {
  const tmp = join(dir, `.${link}.${randomBytes(6).toString('hex')}`);
  await symlink(target, tmp, 'dir');
  await rename(tmp, join(dir, link));
}

/** This machine in the manifest's platform spelling (spec 30 §1: amd64/aarch64). */
export function hostPlatform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'apple' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return `${os}-${arch}`;
}

/** A staging dir's name for this process: <pid>-<start ticks>-<nonce> (just <pid>-<nonce> without /proc). */
const stagingName = () => {
  const me = ownStamp();
  return `${me.pid}-${me.start !== undefined ? `${me.start}-` : ''}${randomBytes(6).toString('hex')}`;
};

function stagingOwner(name: string): HolderStamp {
  const parts = name.split('-');
  const pid = Number(parts[0]);
  return parts.length === 3 && /^\d+$/.test(parts[1]) ? { pid, start: parts[1] } : { pid };
}

export async function openPkgEnv(rootIn: string): Promise<PkgEnv> {
  const root = resolve(rootIn);
  const stagingRoot = join(root, STAGING_DIR);
  await mkdir(stagingRoot, { recursive: true });
  await rm(join(root, LEGACY_CHUNKS_DIR), { recursive: true, force: true });
  // Staging dirs are named <pid>-<start>-<nonce> (<pid>-<nonce> before the start time was added); those
  // of dead processes (gone, zombie, or the pid reused: the start time differs) are leftovers of a crash.
  for (const name of await readdir(stagingRoot)) {
    if (!isHolderAlive(stagingOwner(name))) await rm(join(stagingRoot, name), { recursive: true, force: true });
  }

  const pkgDir = (name: string) => join(root, assertPkgName(name));
  const versionDir = (name: string, version: string) => join(pkgDir(name), assertVersion(version));

  async function locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const dir = pkgDir(name);
    await mkdir(dir, { recursive: true });
    const lockPath = join(dir, LOCK);
    return inProcess.run(lockPath, async () => {
      const release = await acquireFileLock(lockPath, { what: `pkg ${name}` });
      try {
        return await fn();
      } finally {
        await release();
      }
    });
  }

  async function readMeta(name: string, version: string): Promise<PkgMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(versionDir(name, version), INSTALLED_META_FILE), 'utf8')) as PkgMeta;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async function installed(name: string): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(pkgDir(name));
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
    const versions: string[] = [];
    for (const v of entries) {
      if (!isExactVersion(v)) continue;
      if (await stat(join(pkgDir(name), v, INSTALLED_META_FILE)).then(() => true, () => false)) versions.push(v);
    }
    return versions.sort(semver.compare);
  }

  const current = async (name: string) => readLink(join(pkgDir(name), CURRENT));
  const previous = async (name: string) => readLink(join(pkgDir(name), PREVIOUS));

  /** Reads `length` bytes at `offset` of `path`; undefined if the file is gone or shorter. */
  async function readAt(path: string, offset: number, length: number): Promise<Buffer | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return bytesRead === length ? buf : undefined;
    } finally {
      await fh.close();
    }
  }

  /** True when the file at `path` holds exactly `f` (size, mode and every chunk's hash). */
  async function holdsFile(path: string, f: PkgMeta['files'][number], chunkSize: number): Promise<boolean> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
    try {
      const st = await fh.stat();
      if (!st.isFile() || st.size !== f.size || (st.mode & 0o7777) !== f.mode) return false;
      const buf = Buffer.allocUnsafe(Math.min(chunkSize, f.size));
      for (const [i, sha] of f.chunks.entries()) {
        const length = chunkLength(f.size, chunkSize, i);
        const { bytesRead } = await fh.read(buf, 0, length, i * chunkSize);
        if (bytesRead !== length || sha256Hex(buf.subarray(0, length)) !== sha) return false;
      }
      return true;
    } finally {
      await fh.close();
    }
  }

  /** Where the installed versions of `name` hold each chunk and each whole file, the current version first. */
  async function installedContent(name: string): Promise<{ chunks: Map<string, ChunkAt>; files: Map<string, string> }> {
    const chunks = new Map<string, ChunkAt>();
    const files = new Map<string, string>();
    const cur = await current(name);
    const versions = (await installed(name)).sort((a, b) => Number(b === cur) - Number(a === cur));
    for (const v of versions) {
      const m = await readMeta(name, v);
      if (!m) continue;
      for (const f of m.files) {
        const path = join(versionDir(name, v), ...f.path.split('/'));
        if (!files.has(fileKey(f))) files.set(fileKey(f), path);
        f.chunks.forEach((sha, i) => {
          if (!chunks.has(sha)) chunks.set(sha, { path, offset: i * m.chunk_size });
        });
      }
    }
    return { chunks, files };
  }

  async function install(metaIn: PkgMeta, fetchChunk: FetchChunk, onProgress?: (p: InstallProgress) => void): Promise<InstallResult> {
    const meta = validateMeta(metaIn);
    const metaId = metaIdOf(meta);
    const { name, version } = meta;
    if (meta.platform !== 'any' && meta.platform !== hostPlatform()) {
      throw new KrpcError('FAILED_PRECONDITION', `${name}#${version} is built for ${meta.platform}; this node is ${hostPlatform()}`);
    }
    const lengths = expectedChunkLengths(meta);
    return locked(name, async () => {
      const target = versionDir(name, version);
      const existing = await readMeta(name, version);
      if (existing) {
        const existingId = metaIdOf(existing);
        if (existingId !== metaId) {
          throw new KrpcError('ALREADY_EXISTS', `${name}#${version} is already installed with different content (${existingId}); remove that version first`);
        }
        return { name, version, metaId, dir: target, fetchedBytes: 0, fetchedChunks: 0, reusedChunks: 0, alreadyInstalled: true };
      }
      if (await stat(target).then(() => true, () => false)) {
        throw new KrpcError('FAILED_PRECONDITION', `${target} exists but is not an installed pkg; move it away and install again`);
      }

      const staging = join(stagingRoot, stagingName());
      const content = join(staging, 'content');
      await mkdir(content, { recursive: true });
      const progress: InstallProgress = { totalChunks: lengths.size, doneChunks: 0, fetchedChunks: 0, reusedChunks: 0, fetchedBytes: 0 };
      const counted = new Set<string>();
      const held = await installedContent(name);
      // Chunks already written into this install, for a pkg that uses a chunk twice.
      const staged = new Map<string, ChunkAt>();
      const count = (sha: string, reused: boolean) => {
        if (counted.has(sha)) return;
        counted.add(sha);
        if (reused) progress.reusedChunks++;
        progress.doneChunks++;
      };

      const chunk = async (sha: string): Promise<Buffer> => {
        const length = lengths.get(sha)!;
        for (const at of [staged.get(sha), held.chunks.get(sha)]) {
          const buf = at && (await readAt(at.path, at.offset, length));
          if (buf && sha256Hex(buf) === sha) {
            count(sha, true);
            return buf;
          }
        }
        // onBytes: bytes of this chunk received so far, for progress on slow links.
        const buf = await fetchChunk(sha, (n) => onProgress?.({ ...progress, fetchedBytes: progress.fetchedBytes + n }));
        progress.fetchedBytes += buf.length;
        progress.fetchedChunks++;
        if (buf.length !== length || sha256Hex(buf) !== sha) {
          throw new KrpcError('INTEGRITY', `chunk ${sha} of ${name}#${version} is damaged (its content does not match its hash); nothing was installed`);
        }
        count(sha, false);
        return buf;
      };

      try {
        const dirs = [content];
        const written: string[] = [];
        for (const f of meta.files) {
          const parts = f.path.split('/');
          const dir = join(content, ...parts.slice(0, -1));
          if (!dirs.includes(dir)) {
            await mkdir(dir, { recursive: true, mode: 0o755 });
            for (let d = dir; d !== content && !dirs.includes(d); d = dirname(d)) dirs.push(d);
          }
          const path = join(content, ...parts);
          // A file every byte of which an installed version already holds is linked, not rebuilt; it was
          // fsynced when that version was installed, and is hashed again here before it is used.
          const same = held.files.get(fileKey(f));
          if (same && (await link(same, path).then(() => true, () => false))) {
            if (await holdsFile(path, f, meta.chunk_size)) {
              f.chunks.forEach((sha) => count(sha, true));
              onProgress?.({ ...progress });
              continue;
            }
            await unlink(path);
          }
          const fh = await open(path, 'wx', f.mode);
          try {
            let offset = 0;
            for (const sha of f.chunks) {
              const buf = await chunk(sha);
              await writeAll(fh, buf, offset);
              if (!staged.has(sha)) staged.set(sha, { path, offset });
              offset += buf.length;
              onProgress?.({ ...progress });
            }
            if (offset !== f.size) throw new KrpcError('INTEGRITY', `${f.path} of ${name}#${version} came out ${offset} bytes instead of ${f.size}`);
            await fh.chmod(f.mode);
          } finally {
            await fh.close();
          }
          written.push(path);
        }
        const metaFile = join(content, INSTALLED_META_FILE);
        await writeFile(metaFile, canonicalJson(meta));
        written.push(metaFile);
        // Durable before the switch: every new file, then every directory.
        await forEachLimit(written, SYNC_CONCURRENCY, fsyncFile);
        await forEachLimit(dirs, SYNC_CONCURRENCY, fsyncDir);
        await rename(content, target);
        await fsyncDir(pkgDir(name));
      } catch (e) {
        // The staging is removed below, which gives the room back; the owner learns what to do.
        throw isDiskFull(e) ? diskFull(root, `${name}#${version} was not installed (nothing of it was kept)`) : e;
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      return { name, version, metaId, dir: target, fetchedBytes: progress.fetchedBytes, fetchedChunks: progress.fetchedChunks, reusedChunks: progress.reusedChunks, alreadyInstalled: false };
    });
  }

  async function activate(name: string, version: string): Promise<{ current: string; previous?: string }> {
    assertVersion(version);
    return locked(name, async () => {
      if (!(await readMeta(name, version))) throw new KrpcError('NOT_FOUND', `${name}#${version} is not installed; install it before activating it`);
      const dir = pkgDir(name);
      const was = await current(name);
      if (was === version) return { current: version, previous: await previous(name) };
      // previous first: a crash between the two swaps leaves previous == current, never a lost rollback target.
      if (was) await swapLink(dir, PREVIOUS, was);
      await swapLink(dir, CURRENT, version);
      await fsyncDir(dir);
      return { current: version, previous: was ?? (await previous(name)) };
    });
  }

  async function removeVersion(name: string, version: string): Promise<void> {
    const dir = pkgDir(name);
    const trash = join(stagingRoot, stagingName());
    await rename(versionDir(name, version), trash);
    if ((await previous(name)) === version) await unlink(join(dir, PREVIOUS)).catch(() => {});
    await rm(trash, { recursive: true, force: true });
  }

  async function remove(name: string, version: string): Promise<void> {
    assertVersion(version);
    await locked(name, async () => {
      if ((await current(name)) === version) throw new KrpcError('FAILED_PRECONDITION', `${name}#${version} is the active version; activate another version before removing it`);
      if (!(await readMeta(name, version))) throw new KrpcError('NOT_FOUND', `${name}#${version} is not installed`);
      await removeVersion(name, version);
    });
  }

  async function names(): Promise<string[]> {
    const out: string[] = [];
    for (const n of await readdir(root)) {
      if (n.startsWith('.')) continue;
      try {
        if ((await installed(n)).length > 0) out.push(n);
      } catch (e) {
        if (!(e instanceof KrpcError)) throw e;
      }
    }
    return out.sort();
  }

  async function gc(keep = 0): Promise<GcResult> {
    const removedVersions: string[] = [];
    for (const name of await names()) {
      await locked(name, async () => {
        const pinned = new Set([await current(name), await previous(name)].filter((v): v is string => !!v));
        const others = (await installed(name)).filter((v) => !pinned.has(v)).reverse();
        for (const v of others.slice(keep)) {
          await removeVersion(name, v);
          removedVersions.push(`${name}#${v}`);
        }
      });
    }
    return { removedVersions };
  }

  return {
    root,
    dir: versionDir,
    installed,
    names,
    current,
    previous,
    meta: readMeta,
    install,
    activate,
    remove,
    gc,
  };
}
