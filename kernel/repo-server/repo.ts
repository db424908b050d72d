// The zone's repo: a pkg-index-db over a content-addressed chunk store, plus the "ready" rule (spec 30
// §4): a version is ready when it and every version it depends on have all their chunks here, so any
// node can install it with no outside help. Nodes are only ever sent ready versions.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, notFound } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { uniqueChunks } from '../pkg/format.js';
import { parsePkgId, type PkgId } from '../pkg/id.js';
import type { PkgFile } from '../pkg/reader.js';
import { DEFAULT_LIMITS, type PkgLimits } from '../pkg/verify.js';
import { ChunkStore } from './chunk-store.js';
import { forEachLimit } from '../pkg/each-limit.js';
import { IndexDb, type VersionRow } from './index-db.js';
import { dependencyClosure, describeUnresolved, selectVersion, type ResolveView } from './resolve.js';
import { RwLock } from './rw-lock.js';
import { openUpstream, sourceLabel, type Upstream } from './upstream.js';
import type {
  GcResult, ListEntry, MetaInfo, PrepareResult, PublishResult, RepoSource, RepoStats, ResolveResult, SyncResult, VersionInfo,
} from './wire.js';
import type { Clock } from '../lib/clock.js';

export interface RepoOptions {
  root: string;
  log: Logger;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  limits?: Partial<PkgLimits>;
}

const MISSING_SHOWN = 50;
const IMPORT_CONCURRENCY = 4;
const idOf = (r: { name: string; version: string }) => `${r.name}#${r.version}`;

export class Repo {
  private readonly lock = new RwLock();
  private upstreamCache = new Map<string, Upstream>();

  private constructor(
    readonly root: string,
    readonly tmpDir: string,
    readonly limits: PkgLimits,
    readonly index: IndexDb,
    readonly store: ChunkStore,
    private readonly log: Logger,
  ) {}

  static async open(opts: RepoOptions): Promise<Repo> {
    const tmpDir = join(opts.root, 'tmp');
    // Whatever is in tmp/ belongs to uploads and chunk writes of a process that is gone.
    await rm(tmpDir, { recursive: true, force: true });
    await mkdir(tmpDir, { recursive: true });
    const index = await IndexDb.open(opts.root, opts.now);
    const store = await ChunkStore.open(opts.root, tmpDir);
    return new Repo(opts.root, tmpDir, { ...DEFAULT_LIMITS, ...opts.limits }, index, store, opts.log);
  }

  private view(): ResolveView {
    return { versions: (n) => this.index.versions(n), deps: (id) => this.index.metaRow(id)?.deps };
  }

  private findRow(id: PkgId, readyOnly: boolean): VersionRow {
    const rows = this.index.versions(id.name);
    if (rows.length === 0) throw notFound(`there is no pkg named ${id.name} in this repo; publish it or sync it from a source`);
    if (id.tag !== undefined && id.tag !== 'latest') throw notFound(`this repo keeps no tags (asked for "${id.tag}"); ask for a version or a range`);
    const row = selectVersion(rows, id, readyOnly);
    if (row) return row;
    const wanted = id.objid ? `${id.name}#${id.objid}` : `${id.name}#${id.version}`;
    const unready = readyOnly ? selectVersion(rows, id, false) : undefined;
    if (unready) throw notFound(`${idOf(unready)} is in the repo but not ready (not all of its chunks or dependencies are here); prepare it with prepare_ready first`);
    throw notFound(`no version of ${id.name} matches ${wanted}; the repo has ${rows.map((r) => r.version).join(', ')}`);
  }

  private async metaInfo(row: VersionRow): Promise<MetaInfo> {
    const { meta, signature } = await this.index.meta(row.meta_id);
    return { name: row.name, version: row.version, meta, meta_id: row.meta_id, signature, ready: row.ready };
  }

  list(): ListEntry[] {
    return this.index.names().map((name) => {
      const rows = this.index.versions(name);
      return {
        name,
        versions: rows.map((r) => r.version),
        latest: rows[rows.length - 1].version,
        ready_versions: rows.filter((r) => r.ready).map((r) => r.version),
        author: this.index.pkgAuthor(name)?.author ?? '',
      };
    });
  }

  versions(name: string): VersionInfo[] {
    const rows = this.index.versions(name);
    if (rows.length === 0) throw notFound(`there is no pkg named ${name} in this repo`);
    return rows.map((r) => ({ version: r.version, meta_id: r.meta_id, ready: r.ready, published_at: r.published_at, size: this.index.metaRow(r.meta_id)?.size ?? 0 }));
  }

  async getMeta(id: string): Promise<MetaInfo> {
    return this.metaInfo(this.findRow(parsePkgId(id), false));
  }

  async resolve(id: string, opts: { includeUnready?: boolean } = {}): Promise<ResolveResult> {
    const readyOnly = !opts.includeUnready;
    const row = this.findRow(parsePkgId(id), readyOnly);
    const closure = dependencyClosure(this.view(), row, readyOnly);
    if (closure.unresolved.length > 0) {
      throw notFound(`${idOf(row)} needs ${closure.unresolved.map(describeUnresolved).join(', ')}, which ${readyOnly ? 'has no ready version here; prepare it with prepare_ready' : 'is not in this repo'}`);
    }
    const deps = await Promise.all(closure.order.slice(0, -1).map((r) => this.metaInfo(r)));
    return { ...(await this.metaInfo(row)), deps };
  }

  async stats(): Promise<RepoStats> {
    const rows = this.index.allRows();
    const { chunks, bytes } = await this.store.stats();
    return {
      pkgs: this.index.names().length,
      versions: rows.length,
      ready_versions: rows.filter((r) => r.ready).length,
      chunks,
      chunk_bytes: bytes,
      content_bytes: rows.reduce((n, r) => n + (this.index.metaRow(r.meta_id)?.size ?? 0), 0),
      sources: this.index.sources().length,
    };
  }

  /** Imports a checked pkg file: chunks into the store (only the new ones), the meta into the index. */
  publish(pkg: PkgFile, opts: { forceAuthorChange?: boolean } = {}): Promise<PublishResult> {
    return this.lock.shared(async () => {
      const { meta, metaId, signature } = pkg;
      const base = { name: meta.name, version: meta.version, meta_id: metaId };
      const existing = this.index.row(meta.name, meta.version);
      if (existing?.meta_id === metaId && existing.ready) {
        return { ...base, already_published: true, new_chunks: 0, reused_chunks: pkg.chunkReader.chunks.size, new_bytes: 0, ready: true };
      }
      // Known but not ready (e.g. GC took its content): the same file brings the chunks back.
      this.index.assertCanAdd({ meta, metaId }, opts);
      let newChunks = 0;
      let newBytes = 0;
      await forEachLimit([...pkg.chunkReader.chunks], IMPORT_CONCURRENCY, async ([sha, length]) => {
        if (await this.store.has(sha)) return;
        if (await this.store.put(sha, await pkg.chunkReader.read(sha))) {
          newChunks++;
          newBytes += length;
        }
      });
      await this.store.flush();
      const { row } = await this.index.add({ meta, metaId, signature, ready: false, origin: 'publish' }, opts);
      const prepared = await this.complete(row, []);
      this.log.info('published', { id: idOf(row), meta_id: metaId, new_chunks: newChunks, new_bytes: newBytes, ready: prepared.ready });
      return { ...base, already_published: existing !== undefined, new_chunks: newChunks, reused_chunks: pkg.chunkReader.chunks.size - newChunks, new_bytes: newBytes, ready: prepared.ready };
    });
  }

  /** Resolves the id and its dependencies, brings every missing chunk in from the sources, and marks it all ready. */
  prepareReady(id: string): Promise<PrepareResult> {
    const pkgId = parsePkgId(id);
    return this.lock.shared(async () => {
      const upstreams = this.upstreams();
      if (upstreams.length > 0 && !this.tryFindRow(pkgId)) await this.importEntries(upstreams, pkgId.name);
      return this.complete(this.findRow(pkgId, false), upstreams);
    });
  }

  private tryFindRow(id: PkgId): VersionRow | undefined {
    try {
      return this.findRow(id, false);
    } catch {
      return undefined;
    }
  }

  /** Makes `root`'s closure complete from the local store and `upstreams`; marks it ready when it is. */
  private async complete(root: VersionRow, upstreams: Upstream[]): Promise<PrepareResult> {
    let closure = dependencyClosure(this.view(), root, false);
    const tried = new Set<string>();
    while (upstreams.length > 0 && closure.unresolved.length > 0) {
      const names = closure.unresolved.map((u) => u.name).filter((n) => !tried.has(n));
      if (names.length === 0) break;
      for (const n of names) {
        tried.add(n);
        await this.importEntries(upstreams, n);
      }
      closure = dependencyClosure(this.view(), root, false);
    }

    const missing: string[] = [];
    // Why a source could not be asked (refused our token, unreachable): told with the missing chunks, not hidden by them.
    const sourceErrors = new Map<string, string>();
    let fetchedChunks = 0;
    let fetchedBytes = 0;
    const seen = new Set<string>();
    for (const row of closure.order) {
      const { meta } = await this.index.meta(row.meta_id);
      const todo = [...uniqueChunks(meta)].filter(([sha]) => !seen.has(sha));
      for (const [sha] of todo) seen.add(sha);
      await forEachLimit(todo, IMPORT_CONCURRENCY, async ([sha, length]) => {
        if (await this.store.has(sha)) return;
        for (const up of upstreams) {
          const chunk = await up.fetchChunk(sha, length).catch((e: unknown) => { sourceErrors.set(up.label, describeError(e)); return undefined; });
          if (!chunk || chunk.length !== length) continue;
          await this.store.put(sha, chunk);
          fetchedChunks++;
          fetchedBytes += length;
          return;
        }
        missing.push(sha);
      });
    }
    await this.store.flush();
    const ready = closure.unresolved.length === 0 && missing.length === 0;
    if (ready) await this.index.setReady(closure.order, true);
    return {
      name: root.name,
      version: root.version,
      meta_id: root.meta_id,
      ready,
      closure: closure.order.map(idOf),
      fetched_chunks: fetchedChunks,
      fetched_bytes: fetchedBytes,
      ...(missing.length > 0 ? { missing_chunks: missing.slice(0, MISSING_SHOWN), missing_count: missing.length } : {}),
      ...(missing.length > 0 && sourceErrors.size > 0 ? { source_errors: [...sourceErrors].map(([source, err]) => `${source}: ${err}`) } : {}),
      ...(closure.unresolved.length > 0 ? { unresolved: closure.unresolved.map(describeUnresolved) } : {}),
    };
  }

  private upstreams(): Upstream[] {
    const sources = this.index.sources();
    const next = new Map<string, Upstream>();
    for (const s of sources) {
      const label = sourceLabel(s);
      next.set(label, this.upstreamCache.get(label) ?? openUpstream(s, this.limits, this.log));
    }
    this.upstreamCache = next;
    return [...next.values()];
  }

  /** Adds the verified index entries the sources offer (for `name` only, when given). */
  private async importEntries(upstreams: Upstream[], name?: string): Promise<SyncResult['sources']> {
    const report: SyncResult['sources'] = [];
    for (const up of upstreams) {
      const line: SyncResult['sources'][number] = { source: up.label, added: 0, known: 0, refused: [] };
      report.push(line);
      let listing;
      try {
        listing = await up.entries(name);
      } catch (e) {
        line.error = describeError(e);
        continue;
      }
      line.refused.push(...listing.refused);
      for (const e of listing.entries) {
        try {
          const { added } = await this.index.add({ ...e, ready: false, origin: up.label });
          if (added) line.added++;
          else line.known++;
        } catch (err) {
          line.refused.push({ id: idOf(e.meta), reason: describeError(err) });
        }
      }
    }
    return report;
  }

  setSources(sources: RepoSource[]): Promise<void> {
    return this.index.setSources(sources);
  }

  /**
   * Pulls the sources' index entries, then prepares the newest version of every pkg this zone already
   * uses (has a ready version of), so upgrades are ready before any node is told about them.
   */
  sync(): Promise<SyncResult> {
    return this.lock.shared(async () => {
      const upstreams = this.upstreams();
      const sources = await this.importEntries(upstreams);
      const prepared: SyncResult['prepared'] = [];
      for (const name of this.index.names()) {
        const rows = this.index.versions(name);
        const newest = rows[rows.length - 1];
        if (newest.ready || !rows.some((r) => r.ready)) continue;
        const result = await this.complete(newest, upstreams);
        prepared.push({ id: idOf(newest), ready: result.ready });
      }
      this.log.info('synced', { sources: sources.length, prepared: prepared.length });
      return { sources, prepared };
    });
  }

  /**
   * Keeps the listed versions of installed pkgs (current and previous), the newest version of every pkg,
   * and everything those depend on; deletes every other chunk. Index entries stay (sources are monotone),
   * but the versions whose content went are no longer ready.
   */
  gc(keep: Record<string, string[]>): Promise<GcResult> {
    return this.lock.exclusive(async () => {
      const view = this.view();
      const kept = new Map<string, VersionRow>();
      const keepWithDeps = (row: VersionRow) => {
        for (const readyOnly of [true, false]) for (const r of dependencyClosure(view, row, readyOnly).order) kept.set(idOf(r), r);
      };
      for (const name of this.index.names()) {
        const rows = this.index.versions(name);
        for (const v of Object.hasOwn(keep, name) ? keep[name] : []) {
          const row = this.index.row(name, v);
          if (row) keepWithDeps(row);
        }
        keepWithDeps(rows[rows.length - 1]);
        const newestReady = rows.filter((r) => r.ready).pop();
        if (newestReady) keepWithDeps(newestReady);
      }

      const referenced = new Set<string>();
      for (const row of kept.values()) for (const sha of uniqueChunks((await this.index.meta(row.meta_id)).meta).keys()) referenced.add(sha);

      const removed = new Set<string>();
      let freedBytes = 0;
      for await (const c of this.store.list()) {
        if (referenced.has(c.sha)) continue;
        freedBytes += await this.store.remove(c.sha);
        removed.add(c.sha);
      }

      const dropped: VersionRow[] = [];
      for (const row of this.index.allRows()) {
        if (kept.has(idOf(row))) continue;
        const lostContent = row.ready || [...uniqueChunks((await this.index.meta(row.meta_id)).meta).keys()].some((sha) => removed.has(sha));
        if (lostContent) dropped.push(row);
      }
      await this.index.setReady(dropped, false);
      for (const f of await this.index.orphanMetaFiles()) await this.index.removeMetaFile(f);

      this.log.info('gc', { kept: kept.size, removed_versions: dropped.length, removed_chunks: removed.size, freed_bytes: freedBytes });
      return {
        kept_versions: [...kept.keys()].sort(),
        removed_versions: dropped.map(idOf).sort(),
        removed_chunks: removed.size,
        freed_bytes: freedBytes,
      };
    });
  }
}

