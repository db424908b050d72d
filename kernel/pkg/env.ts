// The node's pkg-env: installed pkgs under `<root>/<name>/<version>/`, the active one behind the symlink
// `<root>/<name>/current` (and the one before it behind `previous`, for rollback), and a local chunk cache
// `<root>/.chunks/<sha256>` so an upgrade fetches only the chunks it does not already have.
// An install is built in `<root>/.staging/` and appears with one rename: a failed or interrupted install
// leaves nothing behind (not even cached chunks), and every chunk is hashed before it is used.
import { mkdir, open, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import semver from 'semver';
import { KrpcError } from '../lib/errors.js';
import { fsyncDir } from '../lib/fs-atomic.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { INSTALLED_META_FILE, metaIdOf, type PkgMeta } from './format.js';
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
  removedChunks: number;
  freedBytes: number;
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
  /** Removes versions beyond current, previous and the newest `keep` per pkg, then cache chunks nobody uses. */
  gc(keep?: number): Promise<GcResult>;
}

const CHUNKS_DIR = '.chunks';
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function openPkgEnv(rootIn: string): Promise<PkgEnv> {
  const root = resolve(rootIn);
  const chunkDir = join(root, CHUNKS_DIR);
  const stagingRoot = join(root, STAGING_DIR);
  await mkdir(chunkDir, { recursive: true });
  await mkdir(stagingRoot, { recursive: true });
  // Staging dirs are named <pid>-<nonce>; those of dead processes are leftovers of a crash.
  for (const name of await readdir(stagingRoot)) {
    const pid = Number(name.split('-')[0]);
    if (!Number.isInteger(pid) || !pidAlive(pid)) await rm(join(stagingRoot, name), { recursive: true, force: true });
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

  /** The chunk stored at `path` if it is there and intact; a damaged copy is deleted. */
  async function readVerified(path: string, sha: string, length: number): Promise<Buffer | undefined> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    if (buf.length === length && sha256Hex(buf) === sha) return buf;
    await unlink(path).catch(() => {});
    return undefined;
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

      const staging = join(stagingRoot, `${process.pid}-${randomBytes(6).toString('hex')}`);
      const content = join(staging, 'content');
      const fresh = join(staging, 'chunks');
      await mkdir(content, { recursive: true });
      await mkdir(fresh);
      const progress: InstallProgress = { totalChunks: lengths.size, doneChunks: 0, fetchedChunks: 0, reusedChunks: 0, fetchedBytes: 0 };
      const counted = new Set<string>();
      const freshChunks: string[] = [];

      const chunk = async (sha: string): Promise<Buffer> => {
        const length = lengths.get(sha)!;
        const first = !counted.has(sha);
        counted.add(sha);
        let buf = (await readVerified(join(fresh, sha), sha, length)) ?? (await readVerified(join(chunkDir, sha), sha, length));
        if (buf) {
          if (first) progress.reusedChunks++;
        } else {
          // onBytes: bytes of this chunk received so far, for progress on slow links.
          buf = await fetchChunk(sha, (n) => onProgress?.({ ...progress, fetchedBytes: progress.fetchedBytes + n }));
          progress.fetchedBytes += buf.length;
          progress.fetchedChunks++;
          if (buf.length !== length || sha256Hex(buf) !== sha) {
            throw new KrpcError('INTEGRITY', `chunk ${sha} of ${name}#${version} is damaged (its content does not match its hash); nothing was installed`);
          }
          await writeFile(join(fresh, sha), buf);
          freshChunks.push(sha);
        }
        if (first) progress.doneChunks++;
        onProgress?.({ ...progress });
        return buf;
      };

      try {
        for (const f of meta.files) {
          const parts = f.path.split('/');
          if (parts.length > 1) await mkdir(join(content, ...parts.slice(0, -1)), { recursive: true, mode: 0o755 });
          const fh = await open(join(content, ...parts), 'wx', f.mode);
          try {
            let written = 0;
            for (const sha of f.chunks) written += (await fh.write(await chunk(sha))).bytesWritten;
            if (written !== f.size) throw new KrpcError('INTEGRITY', `${f.path} of ${name}#${version} came out ${written} bytes instead of ${f.size}`);
            await fh.chmod(f.mode);
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
        await writeFile(join(content, INSTALLED_META_FILE), canonicalJson(meta));
        await fsyncDir(content);
        await rename(content, target);
        await fsyncDir(pkgDir(name));
        // Only a completed install feeds the cache, so a refused pkg leaves the env exactly as it was.
        for (const sha of freshChunks) await rename(join(fresh, sha), join(chunkDir, sha));
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
    const trash = join(stagingRoot, `${process.pid}-${randomBytes(6).toString('hex')}`);
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
    const referenced = new Set<string>();
    for (const name of await names()) {
      await locked(name, async () => {
        const pinned = new Set([await current(name), await previous(name)].filter((v): v is string => !!v));
        const others = (await installed(name)).filter((v) => !pinned.has(v)).reverse();
        for (const v of others.slice(keep)) {
          await removeVersion(name, v);
          removedVersions.push(`${name}#${v}`);
        }
        for (const v of await installed(name)) {
          const m = await readMeta(name, v);
          m?.files.forEach((f) => f.chunks.forEach((c) => referenced.add(c)));
        }
      });
    }
    // An install running meanwhile moves its chunks in only after its version dir exists; at worst a
    // chunk swept here is fetched again by a later upgrade. Installed files never depend on the cache.
    let removedChunks = 0;
    let freedBytes = 0;
    for (const sha of await readdir(chunkDir)) {
      if (referenced.has(sha)) continue;
      const size = await stat(join(chunkDir, sha)).then((s) => s.size, () => 0);
      await unlink(join(chunkDir, sha)).catch(() => {});
      removedChunks++;
      freedBytes += size;
    }
    return { removedVersions, removedChunks, freedBytes };
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
