// Where a zone's repo gets pkgs it was not sent directly: a folder of `.pkg` files (a USB stick, an
// offline bundle) or another repo (a published index). Nothing from a source is trusted: every meta's
// signature and every chunk's hash is checked before the repo keeps it.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError, KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { PkgMeta } from '../pkg/format.js';
import { readPkgFile, type PkgFile } from '../pkg/reader.js';
import { validateMeta, verifyMetaSignature, type PkgLimits } from '../pkg/verify.js';
import { RepoClient } from './client.js';
import type { RepoSource } from './wire.js';

export interface UpstreamEntry {
  meta: PkgMeta;
  metaId: string;
  signature: string;
}

export interface UpstreamListing {
  entries: UpstreamEntry[];
  /** Entries the source offered that failed a check, as `name#version` (or a file) and why. */
  refused: { id: string; reason: string }[];
}

export interface Upstream {
  readonly label: string;
  /** Complete pkgs the source offers (of `name` only, when given). */
  entries(name?: string): Promise<UpstreamListing>;
  /** The verified chunk, or undefined when the source does not have it; throws when the source cannot be asked (auth, network). */
  fetchChunk(sha256: string, length: number): Promise<Buffer | undefined>;
}

export const sourceLabel = (s: RepoSource) => (s.type === 'dir' ? `dir:${s.path}` : `repo:${s.url}`);

export function openUpstream(source: RepoSource, limits: PkgLimits, log: Logger): Upstream {
  return source.type === 'dir' ? new DirUpstream(source.path, limits) : new RepoUpstream(source.url, source.token, log);
}

const PKG_FILE_RE = /\.pkg$/;

class DirUpstream implements Upstream {
  readonly label: string;
  /** Checked pkg files by path, valid while size and mtime stay the same. */
  private readonly checked = new Map<string, { stamp: string; pkg?: PkgFile; problem?: string }>();
  private scanning: Promise<{ pkgs: PkgFile[]; refused: UpstreamListing['refused'] }> | undefined;

  constructor(private readonly dir: string, private readonly limits: PkgLimits) {
    this.label = `dir:${dir}`;
  }

  /** `*.pkg` files in the folder and its direct subfolders. */
  private async files(): Promise<string[]> {
    let top;
    try {
      top = await readdir(this.dir, { withFileTypes: true });
    } catch (e) {
      throw new KrpcError('UNAVAILABLE', `source folder ${this.dir} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); plug it in or change the sources`);
    }
    const out: string[] = [];
    for (const d of top) {
      if (d.isFile() && PKG_FILE_RE.test(d.name)) out.push(join(this.dir, d.name));
      else if (d.isDirectory()) {
        const inner = await readdir(join(this.dir, d.name), { withFileTypes: true }).catch(() => []);
        for (const f of inner) if (f.isFile() && PKG_FILE_RE.test(f.name)) out.push(join(this.dir, d.name, f.name));
      }
    }
    return out.sort();
  }

  private async scan(): Promise<{ pkgs: PkgFile[]; refused: UpstreamListing['refused'] }> {
    const pkgs: PkgFile[] = [];
    const refused: UpstreamListing['refused'] = [];
    for (const file of await this.files()) {
      const st = await stat(file).catch(() => undefined);
      if (!st) continue;
      const stamp = `${st.size}:${st.mtimeMs}`;
      let hit = this.checked.get(file);
      if (hit?.stamp !== stamp) {
        try {
          hit = { stamp, pkg: await readPkgFile(file, { limits: this.limits }) };
        } catch (e) {
          hit = { stamp, problem: describeError(e) };
        }
        this.checked.set(file, hit);
      }
      if (hit.pkg) pkgs.push(hit.pkg);
      else refused.push({ id: file, reason: hit.problem ?? 'not a pkg' });
    }
    return { pkgs, refused };
  }

  /** One scan at a time; callers arriving meanwhile share it (a new file is hashed once). */
  private rescan(): Promise<{ pkgs: PkgFile[]; refused: UpstreamListing['refused'] }> {
    this.scanning ??= this.scan().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  private async readChecked(sha256: string): Promise<Buffer | undefined> {
    for (const hit of this.checked.values()) {
      if (!hit.pkg?.chunkReader.has(sha256)) continue;
      try {
        return await hit.pkg.chunkReader.read(sha256);
      } catch {
        // the file changed since it was checked; another file may still have the chunk
      }
    }
    return undefined;
  }

  async entries(name?: string): Promise<UpstreamListing> {
    const { pkgs, refused } = await this.rescan();
    const entries = pkgs
      .filter((p) => name === undefined || p.meta.name === name)
      .map((p) => ({ meta: p.meta, metaId: p.metaId, signature: p.signature }));
    return { entries, refused: name === undefined ? refused : [] };
  }

  async fetchChunk(sha256: string): Promise<Buffer | undefined> {
    const known = await this.readChecked(sha256);
    if (known) return known;
    // Not in the files checked so far: look for files added or changed since.
    await this.rescan().catch(() => undefined);
    return this.readChecked(sha256);
  }
}

class RepoUpstream implements Upstream {
  readonly label: string;
  private readonly client: RepoClient;

  constructor(url: string, token: string | undefined, private readonly log: Logger) {
    this.client = new RepoClient(url, token);
    this.label = `repo:${this.client.base}`;
  }

  async entries(name?: string): Promise<UpstreamListing> {
    let wanted: { name: string; versions: string[] }[];
    if (name === undefined) {
      wanted = (await this.client.list()).map((e) => ({ name: e.name, versions: e.ready_versions }));
    } else {
      const versions = await this.client.versions(name).catch((e) => {
        if (e instanceof KrpcError && e.code === 'NOT_FOUND') return [];
        throw e;
      });
      wanted = [{ name, versions: versions.filter((v) => v.ready).map((v) => v.version) }];
    }
    const entries: UpstreamEntry[] = [];
    const refused: UpstreamListing['refused'] = [];
    for (const w of wanted) {
      for (const version of w.versions) {
        const id = `${w.name}#${version}`;
        try {
          const info = await this.client.getMeta(id);
          const meta = validateMeta(info.meta);
          const metaId = await verifyMetaSignature(info.meta, meta, info.signature);
          if (metaId !== info.meta_id || meta.name !== w.name || meta.version !== version) throw new KrpcError('INTEGRITY', `the source sent a meta for ${meta.name}#${meta.version} (${metaId}) when asked for ${id}`);
          entries.push({ meta, metaId, signature: info.signature });
        } catch (e) {
          refused.push({ id, reason: describeError(e) });
        }
      }
    }
    return { entries, refused };
  }

  async fetchChunk(sha256: string, length: number): Promise<Buffer | undefined> {
    try {
      const chunk = await this.client.fetchChunk(sha256, { maxAttempts: 3 });
      return chunk.length === length ? chunk : undefined;
    } catch (e) {
      if (e instanceof KrpcError && e.code === 'NOT_FOUND') return undefined;
      this.log.warn('upstream chunk download failed', { source: this.label, chunk: sha256, err: describeError(e) });
      throw e;
    }
  }
}
