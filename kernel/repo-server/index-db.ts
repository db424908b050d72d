// The repo's pkg-index-db (spec 30 §2 with our storage): `<root>/index.json` holds the small tables
// (pkg_metas, pkg_versions, author_info, the pkg → author pin and the upstream sources) in lowdb's file
// format, rewritten atomically on every change; each signed meta is its own immutable file
// `<root>/metas/<hex>.json`, so the index stays small however many chunks a pkg lists.
import { mkdir, readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { KrpcError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import { canonicalJson } from '../pkg/canonical-json.js';
import { metaIdOf, type PkgMeta } from '../pkg/format.js';
import type { RepoSource } from './wire.js';

export const INDEX_FORMAT = 'buckyos.repo-index.v1';

export interface VersionRow {
  name: string;
  version: string;
  meta_id: string;
  /** The publisher key (JWK `x`) that signed this version. */
  author_pk: string;
  /** Every chunk of this version and of its dependency closure is in this repo. */
  ready: boolean;
  /** Unix seconds. */
  published_at: number;
  /** "publish", or the source it was synced from. */
  origin: string;
}

export interface MetaRow {
  name: string;
  version: string;
  author: string;
  author_pk: string;
  /** Content bytes. */
  size: number;
  deps: Record<string, string>;
  update_time: number;
}

interface IndexDoc {
  format: typeof INDEX_FORMAT;
  pkg_metas: Record<string, MetaRow>;
  pkg_versions: Record<string, Record<string, VersionRow>>;
  /** pkg name → the author key its versions must be signed with. */
  pkg_authors: Record<string, string>;
  author_info: Record<string, { author: string; first_seen: number }>;
  sources: RepoSource[];
}

export interface StoredMeta {
  meta: PkgMeta;
  signature: string;
}

export interface NewEntry extends StoredMeta {
  metaId: string;
  ready: boolean;
  origin: string;
}

const emptyDoc = (): IndexDoc => ({ format: INDEX_FORMAT, pkg_metas: {}, pkg_versions: {}, pkg_authors: {}, author_info: {}, sources: [] });
const META_CACHE_LIMIT = 256;
const hexOf = (metaId: string) => metaId.replace(/^sha256:/, '');

export class IndexDb {
  private doc: IndexDoc;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly metaCache = new Map<string, StoredMeta>();

  private constructor(
    private readonly file: string,
    private readonly metaDir: string,
    private readonly now: () => number,
    doc: IndexDoc,
  ) {
    this.doc = doc;
  }

  static async open(root: string, now: () => number = Date.now): Promise<IndexDb> {
    const file = join(root, 'index.json');
    const metaDir = join(root, 'metas');
    await mkdir(metaDir, { recursive: true });
    let doc = emptyDoc();
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as IndexDoc;
      if (parsed?.format !== INDEX_FORMAT) throw new Error(`unknown format ${JSON.stringify(parsed?.format)}`);
      doc = { ...emptyDoc(), ...parsed };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new KrpcError('INTEGRITY', `${file} cannot be read (${(e as Error).message}); restore it from a backup or move it away to start an empty repo`);
      }
    }
    return new IndexDb(file, metaDir, now, doc);
  }

  names(): string[] {
    return Object.keys(this.doc.pkg_versions).sort();
  }

  /** Versions of `name`, lowest first. */
  versions(name: string): VersionRow[] {
    const rows = Object.hasOwn(this.doc.pkg_versions, name) ? Object.values(this.doc.pkg_versions[name]) : [];
    return rows.sort((a, b) => semver.compare(a.version, b.version));
  }

  row(name: string, version: string): VersionRow | undefined {
    const byVersion = Object.hasOwn(this.doc.pkg_versions, name) ? this.doc.pkg_versions[name] : undefined;
    return byVersion && Object.hasOwn(byVersion, version) ? byVersion[version] : undefined;
  }

  metaRow(metaId: string): MetaRow | undefined {
    return Object.hasOwn(this.doc.pkg_metas, metaId) ? this.doc.pkg_metas[metaId] : undefined;
  }

  allRows(): VersionRow[] {
    return this.names().flatMap((n) => this.versions(n));
  }

  /** The author a pkg name is pinned to: the key of its latest accepted publisher and its display name. */
  pkgAuthor(name: string): { author_pk: string; author: string } | undefined {
    if (!Object.hasOwn(this.doc.pkg_authors, name)) return undefined;
    const pk = this.doc.pkg_authors[name];
    return { author_pk: pk, author: this.doc.author_info[pk]?.author ?? '' };
  }

  sources(): RepoSource[] {
    return structuredClone(this.doc.sources);
  }

  /** The signed meta of a version, re-hashed on load so a damaged meta file is never served. */
  async meta(metaId: string): Promise<StoredMeta> {
    const hit = this.metaCache.get(metaId);
    if (hit) return hit;
    let stored: StoredMeta;
    try {
      stored = JSON.parse(await readFile(join(this.metaDir, `${hexOf(metaId)}.json`), 'utf8')) as StoredMeta;
    } catch (e) {
      throw new KrpcError('INTEGRITY', `the meta ${metaId} is missing or unreadable in this repo (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); publish the pkg again`);
    }
    if (metaIdOf(stored.meta) !== metaId) throw new KrpcError('INTEGRITY', `the stored meta ${metaId} is damaged; publish the pkg again`);
    if (this.metaCache.size >= META_CACHE_LIMIT) this.metaCache.delete(this.metaCache.keys().next().value!);
    this.metaCache.set(metaId, stored);
    return stored;
  }

  /**
   * Adds a version. The same meta again is a no-op (added: false); another meta for an existing version,
   * or a version signed by a key other than the pkg's pinned author, is refused.
   */
  async add(entry: NewEntry, opts: { forceAuthorChange?: boolean } = {}): Promise<{ added: boolean; row: VersionRow }> {
    const { meta, metaId } = entry;
    this.assertCanAdd(entry, opts);
    await writeFileAtomic(join(this.metaDir, `${hexOf(metaId)}.json`), canonicalJson({ meta, signature: entry.signature }));
    return this.commit((doc) => {
      // Checked again in the queue: another add may have committed since the first check.
      this.assertCanAdd(entry, opts);
      const existing = doc.pkg_versions[meta.name]?.[meta.version];
      if (existing) return { added: false, row: existing };
      const at = Math.floor(this.now() / 1000);
      const authorPk = meta.author_pk.x;
      const row: VersionRow = { name: meta.name, version: meta.version, meta_id: metaId, author_pk: authorPk, ready: entry.ready, published_at: at, origin: entry.origin };
      doc.pkg_metas[metaId] = { name: meta.name, version: meta.version, author: meta.author ?? '', author_pk: authorPk, size: meta.size, deps: meta.deps, update_time: at };
      (doc.pkg_versions[meta.name] ??= {})[meta.version] = row;
      doc.pkg_authors[meta.name] = authorPk;
      doc.author_info[authorPk] ??= { author: meta.author ?? '', first_seen: at };
      return { added: true, row };
    });
  }

  /** Throws what add() would throw for this entry now (so a caller can refuse before storing chunks). */
  assertCanAdd({ meta, metaId }: Pick<NewEntry, 'meta' | 'metaId'>, opts: { forceAuthorChange?: boolean } = {}): void {
    const existing = this.row(meta.name, meta.version);
    if (existing && existing.meta_id !== metaId) {
      throw new KrpcError('ALREADY_EXISTS', `${meta.name}#${meta.version} is already published with different content (${existing.meta_id}); versions never change, so publish this one as a new version`);
    }
    const pinned = Object.hasOwn(this.doc.pkg_authors, meta.name) ? this.doc.pkg_authors[meta.name] : undefined;
    if (!existing && pinned && pinned !== meta.author_pk.x && !opts.forceAuthorChange) {
      const was = this.doc.author_info[pinned]?.author;
      throw new KrpcError(
        'FAILED_PRECONDITION',
        `${meta.name} is published by another author (key ${pinned}${was ? `, "${was}"` : ''}) than the one who signed this pkg (key ${meta.author_pk.x}); if the pkg really changed hands, publish again with --force-author-change`,
      );
    }
  }

  async setReady(rows: readonly { name: string; version: string }[], ready: boolean): Promise<void> {
    if (rows.every((r) => this.row(r.name, r.version)?.ready === ready)) return;
    await this.commit((doc) => {
      for (const r of rows) {
        const row = doc.pkg_versions[r.name]?.[r.version];
        if (row) row.ready = ready;
      }
    });
  }

  async setSources(sources: RepoSource[]): Promise<void> {
    await this.commit((doc) => {
      doc.sources = structuredClone(sources);
    });
  }

  /** Meta files no index row points at (left by a crash between writing the meta and the index). */
  async orphanMetaFiles(): Promise<string[]> {
    const known = new Set(Object.keys(this.doc.pkg_metas).map(hexOf));
    return (await readdir(this.metaDir)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f) && !known.has(f.slice(0, 64)));
  }

  async removeMetaFile(file: string): Promise<void> {
    await unlink(join(this.metaDir, file)).catch(() => {});
  }

  /** Applies `change` to a copy of the index and makes it current only once it is on disk; changes run one at a time. */
  private commit<T>(change: (doc: IndexDoc) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const next = structuredClone(this.doc);
      const result = change(next);
      await writeFileAtomic(this.file, JSON.stringify(next));
      this.doc = next;
      return result;
    });
    this.queue = run.catch(() => {});
    return run;
  }
}
