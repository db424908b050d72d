// The node-daemon's repo-backed PkgSource: resolve a pkg id at the zone's repo (ready versions only),
// check every meta's publisher signature, and install it and its dependencies into the node's pkg-env,
// downloading only chunks the env does not already hold. Chunk downloads are written as they arrive to
// `<env>/.partial/<sha256>`, so a node-daemon killed mid-download resumes where it stopped.
import { constants } from 'node:fs';
import { access, mkdir, open, readFile, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { diskFull, isDiskFull, isKrpcError, KrpcError } from '../lib/errors.js';
import { writeAll } from '../lib/fs-atomic.js';
import type { TokenSource } from '../lib/krpc/client.js';
import type { Logger } from '../lib/log.js';
import type { InstalledPkg, PkgInstallProgress, PkgSource } from './pkg-source.js';
import { sha256Hex } from '../pkg/canonical-json.js';
import type { InstallResult, PkgEnv } from '../pkg/env.js';
import { metaIdOf, uniqueChunks, type PkgMeta } from '../pkg/format.js';
import semver from 'semver';
import { parsePkgId } from '../pkg/id.js';
import { KeyedMutex } from '../pkg/lock.js';
import { readManifest } from '../pkg/manifest.js';
import { validateMeta, verifyMetaSignature } from '../pkg/verify.js';
import { RepoClient } from '../repo-server/client.js';
import type { MetaInfo } from '../api/repo.js';

export interface RepoPkgSourceOptions {
  /** The repo as this node reaches it: the local gateway (http://127.0.0.1:3180) or the repo itself. */
  repoUrl: string;
  /** A device-signed service token (appid node-daemon). */
  token: TokenSource;
  env: PkgEnv;
  log?: Logger;
}

export const PARTIAL_DIR = '.partial';
/** Partial downloads nobody resumed for this long are dropped. */
const PARTIAL_MAX_AGE_MS = 7 * 24 * 3600_000;
/** Whole chunks per batch request: one request and one token check per 4 MiB instead of per chunk. */
const BATCH_CHUNKS = 16;
const BATCH_CONCURRENCY = 3;
/** Chunks downloaded ahead of the env, held in memory until it writes them (at most ~64 × 256 KiB). */
const PREFETCH_AHEAD = 48;

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** A partial chunk on disk: bytes [0, length) are a prefix of the chunk as received so far. */
class PartialFile {
  private constructor(private readonly fh: FileHandle, private length: number) {}

  static async open(path: string, keep: number): Promise<PartialFile> {
    const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
    await fh.truncate(keep);
    return new PartialFile(fh, keep);
  }

  async write(piece: Buffer, offset: number): Promise<void> {
    if (offset < this.length) await this.fh.truncate(offset);
    else if (offset > this.length) throw new KrpcError('INTERNAL', `partial chunk write at ${offset} leaves a gap after ${this.length} bytes`);
    await writeAll(this.fh, piece, offset);
    this.length = offset + piece.length;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

async function verifiedMeta(info: MetaInfo): Promise<PkgMeta> {
  const meta = validateMeta(info.meta);
  const metaId = await verifyMetaSignature(info.meta, meta, info.signature);
  if (metaId !== info.meta_id || meta.name !== info.name || meta.version !== info.version) {
    throw new KrpcError('INTEGRITY', `the repo sent a meta for ${meta.name}#${meta.version} (${metaId}) as ${info.name}#${info.version} (${info.meta_id}); refusing to install it`);
  }
  return meta;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** Runs at most `n` tasks at once; a finishing task hands its slot straight to the next waiting one. */
function slots(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active < n) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const handOver = waiting.shift();
      if (handOver) handOver();
      else active--;
    }
  };
}

export function repoPkgSource(opts: RepoPkgSourceOptions): PkgSource {
  const { env } = opts;
  const client = new RepoClient(opts.repoUrl, opts.token);
  const partialDir = join(env.root, PARTIAL_DIR);
  const byPkg = new KeyedMutex();
  const byChunk = new KeyedMutex();
  let swept: Promise<void> | undefined;

  async function sweepStalePartials(): Promise<void> {
    await mkdir(partialDir, { recursive: true });
    for (const name of await readdir(partialDir)) {
      const path = join(partialDir, name);
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > PARTIAL_MAX_AGE_MS) await unlink(path).catch(() => {});
    }
  }

  /** The chunk, from a complete partial file or downloaded (resuming any partial one). */
  function download(sha: string, length: number, onBytes: (received: number) => void, signal?: AbortSignal): Promise<Buffer> {
    return byChunk.run(sha, async () => {
      const path = join(partialDir, sha);
      let have: Buffer | undefined;
      try {
        have = await readFile(path);
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      if (have && have.length === length && sha256Hex(have) === sha) {
        onBytes(length);
        return have;
      }
      if (have && have.length >= length) have = undefined;
      const file = await PartialFile.open(path, have?.length ?? 0);
      try {
        const chunk = await client.fetchChunk(sha, { resumeFrom: have, onData: (piece, offset) => file.write(piece, offset), onBytes, signal });
        if (chunk.length !== length) throw new KrpcError('INTEGRITY', `chunk ${sha} is ${chunk.length} bytes but its meta says ${length}`);
        return chunk;
      } catch (e) {
        // Damaged bytes are no prefix worth resuming from.
        if (e instanceof KrpcError && e.code === 'INTEGRITY') await unlink(path).catch(() => {});
        throw e;
      } finally {
        await file.close();
      }
    });
  }

  /**
   * Chunks `shas` (whole, in order) in one batch request, each landing in .partial/ as it streams. A chunk
   * with a partial file, and any the batch did not deliver (cut off, damaged, missing), goes through
   * `download`, which resumes it with a Range request and reports the error of that one chunk.
   */
  function downloadBatch(shas: string[], lengths: Map<string, number>, counter: (sha: string) => (received: number) => void, signal: AbortSignal): Map<string, Promise<Buffer>> {
    const waiting = new Map(shas.map((sha) => [sha, deferred<Buffer>()]));
    const chunks = new Map([...waiting].map(([sha, d]) => [sha, d.promise]));
    const single = (sha: string) => download(sha, lengths.get(sha)!, counter(sha), signal);
    const run = async () => {
      const hasPartial = await Promise.all(shas.map((sha) => access(join(partialDir, sha)).then(() => true, () => false)));
      const fresh = shas.filter((_, i) => !hasPartial[i]);
      const resumed = shas.filter((_, i) => hasPartial[i]).map((sha) => {
        const d = waiting.get(sha)!;
        waiting.delete(sha);
        return single(sha).then(d.resolve, d.reject);
      });
      let file: { sha: string; partial: PartialFile } | undefined;
      try {
        await client.fetchChunks(fresh, {
          signal,
          onData: async (sha, piece, offset) => {
            if (file?.sha !== sha) {
              await file?.partial.close();
              file = undefined;
              file = { sha, partial: await PartialFile.open(join(partialDir, sha), 0) };
            }
            await file.partial.write(piece, offset);
            counter(sha)(offset + piece.length);
          },
          onChunk: (sha, chunk) => {
            if (chunk.length !== lengths.get(sha)) throw new KrpcError('INTEGRITY', `chunk ${sha} is ${chunk.length} bytes but its meta says ${lengths.get(sha)}`);
            waiting.get(sha)!.resolve(chunk);
            waiting.delete(sha);
          },
        });
      } catch (e) {
        if (isDiskFull(e)) {
          // Fetching the rest one by one would only fill the disk again: the install fails with this.
          for (const d of waiting.values()) d.reject(e);
          waiting.clear();
        } else if (!signal.aborted) opts.log?.warn('chunk batch failed; fetching its rest one by one', { err: (e as Error).message, left: waiting.size });
      } finally {
        await file?.partial.close();
      }
      await Promise.all([...resumed, ...[...waiting].map(([sha, d]) => single(sha).then(d.resolve, d.reject))]);
    };
    run().catch((e) => waiting.forEach((d) => d.reject(e)));
    return chunks;
  }

  /** Chunks of every installed version: what the env already holds, so they are never downloaded. */
  async function installedChunks(): Promise<Set<string>> {
    const held = new Set<string>();
    for (const name of await env.names()) {
      for (const version of await env.installed(name)) (await env.meta(name, version))?.files.forEach((f) => f.chunks.forEach((c) => held.add(c)));
    }
    return held;
  }

  async function install(meta: PkgMeta, progress: { bytes: number; total: number }, onProgress?: (p: PkgInstallProgress) => void): Promise<void> {
    const lengths = uniqueChunks(meta);
    const counting = () => {
      let counted = 0;
      return (received: number) => {
        progress.bytes += received - counted;
        counted = received;
        onProgress?.({ phase: 'download', bytes: progress.bytes, total: progress.total });
      };
    };
    // Downloads run ahead of the env in the order it asks for chunks, several at once, so the link stays busy
    // while the env writes files; the chunks wait in memory (each also lands in .partial/ as it arrives).
    const held = await installedChunks();
    const wanted = [...lengths.keys()].filter((sha) => !held.has(sha));
    const position = new Map(wanted.map((sha, i) => [sha, i]));
    const ahead = new Map<string, Promise<Buffer>>();
    const batches: Promise<unknown>[] = [];
    const stop = new AbortController();
    const limit = slots(BATCH_CONCURRENCY);
    const counters = new Map<string, (received: number) => void>();
    const counter = (sha: string) => counters.get(sha) ?? counters.set(sha, counting()).get(sha)!;
    let next = 0;
    const fetch = async (sha: string) => {
      const length = lengths.get(sha);
      if (length === undefined) throw new KrpcError('INTEGRITY', `${meta.name}#${meta.version} asked for chunk ${sha}, which its meta does not list`);
      const at = position.get(sha);
      while (at !== undefined && next < wanted.length && next <= at + PREFETCH_AHEAD) {
        const batch = wanted.slice(next, next + BATCH_CHUNKS);
        next += batch.length;
        const slot = deferred<Map<string, Promise<Buffer>>>();
        batches.push(limit(async () => {
          const chunks = downloadBatch(batch, lengths, counter, stop.signal);
          slot.resolve(chunks);
          await Promise.allSettled(chunks.values());
        }));
        for (const queued of batch) {
          const p = slot.promise.then((chunks) => chunks.get(queued)!);
          p.catch(() => {});
          ahead.set(queued, p);
        }
      }
      const pending = ahead.get(sha);
      ahead.delete(sha);
      return pending ?? download(sha, length, counter(sha), stop.signal);
    };
    let result: InstallResult;
    try {
      result = await env.install(meta, fetch);
    } catch (e) {
      stop.abort();
      await Promise.allSettled([...ahead.values(), ...batches]);
      if (!isDiskFull(e) && !isKrpcError(e, 'RESOURCE_EXHAUSTED')) throw e;
      // Out of room: the partial chunks kept for a resume would only hold the disk full (and every retry
      // would add more), so they go too; the next try downloads again.
      for (const sha of lengths.keys()) await unlink(join(partialDir, sha)).catch(() => {});
      throw isDiskFull(e) ? diskFull(env.root, `${meta.name}#${meta.version} was not installed (nothing of it was kept)`) : e;
    } finally {
      stop.abort();
      await Promise.allSettled([...ahead.values(), ...batches]);
    }
    opts.log?.info('pkg installed', { id: `${meta.name}#${meta.version}`, fetched_bytes: result.fetchedBytes, reused_chunks: result.reusedChunks, already: result.alreadyInstalled });
    // The installed version now holds these chunks; the partial copies are done with.
    for (const sha of lengths.keys()) await unlink(join(partialDir, sha)).catch(() => {});
  }

  /**
   * The zone's repo is out of reach (the OOD is down or asleep): an app this node already runs must still
   * restart after a crash. The active version serves if it is what the id asks for (its range, its pinned
   * object id); it was verified when it was installed. Anything else waits for the repo.
   */
  async function installedOffline(pkgId: string, e: unknown): Promise<InstalledPkg | undefined> {
    if (!isKrpcError(e, 'UNAVAILABLE') && !isKrpcError(e, 'TIMEOUT')) return undefined;
    const wanted = parsePkgId(pkgId);
    const version = await env.current(wanted.name);
    if (!version || !semver.satisfies(version, wanted.version === '*' ? '*' : wanted.version, { includePrerelease: true })) return undefined;
    const meta = await env.meta(wanted.name, version);
    if (!meta) return undefined;
    if (wanted.objid && metaIdOf(meta) !== wanted.objid && metaIdOf(meta) !== `sha256:${wanted.objid}`) return undefined;
    opts.log?.warn('the zone repo is out of reach; starting the installed version', { id: `${wanted.name}#${version}`, err: (e as Error).message });
    const dir = env.dir(wanted.name, version);
    return { dir, manifest: await readManifest(dir) };
  }

  return {
    async ensureInstalled(pkgId: string, onProgress?: (p: PkgInstallProgress) => void): Promise<InstalledPkg> {
      const wanted = parsePkgId(pkgId);
      return byPkg.run(wanted.name, async () => {
        swept ??= sweepStalePartials();
        await swept;
        let resolved: Awaited<ReturnType<typeof client.resolve>>;
        try {
          resolved = await client.resolve(pkgId);
        } catch (e) {
          const offline = await installedOffline(pkgId, e);
          if (offline) return offline;
          throw e;
        }
        if (wanted.objid && resolved.meta_id !== wanted.objid && resolved.meta_id !== `sha256:${wanted.objid}`) {
          throw new KrpcError('INTEGRITY', `the repo resolved ${pkgId} to ${resolved.meta_id}, not the pinned object id`);
        }
        const chain: { info: MetaInfo; meta: PkgMeta }[] = [];
        for (const info of [...resolved.deps, resolved]) chain.push({ info, meta: await verifiedMeta(info) });

        const todo: PkgMeta[] = [];
        for (const { info, meta } of chain) {
          const installed = await env.meta(meta.name, meta.version);
          if (!installed || metaIdOf(installed) !== info.meta_id) todo.push(meta);
        }
        const progress = { bytes: 0, total: todo.reduce((n, m) => n + m.size, 0) };
        for (const meta of todo) await install(meta, progress, onProgress);
        for (const { meta } of chain) await env.activate(meta.name, meta.version);
        onProgress?.({ phase: 'installed', bytes: progress.total, total: progress.total });

        const dir = env.dir(resolved.name, resolved.version);
        return { dir, manifest: await readManifest(dir) };
      });
    },
  };
}
