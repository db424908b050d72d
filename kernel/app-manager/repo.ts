// The slice of the zone's repo the app lifecycle needs: which exact version an id means (with what the
// spec and the health check need from its meta) and "make it ready" before any intent is written.
import { KrpcError } from '../lib/errors.js';
import type { TokenSource } from '../lib/krpc/client.js';
import { RepoClient } from '../repo-server/client.js';
import type { GcResult } from '../api/repo.js';

export interface ResolvedPkg {
  name: string;
  version: string;
  description?: string;
  memoryMb?: number;
  hasHealthCheck: boolean;
  /** content bytes of this version */
  size: number;
}

export interface PreparedPkg {
  ready: boolean;
  fetchedBytes: number;
  /** why it is not ready, in plain words */
  problem?: string;
}

export interface AppRepo {
  /** NOT_FOUND (with the versions there are) when nothing published matches. */
  resolve(name: string, version?: string): Promise<ResolvedPkg>;
  prepareReady(name: string, version: string): Promise<PreparedPkg>;
  /** The published versions of a package (none when it has none). */
  versions(name: string): Promise<string[]>;
  /** Drops the content of every version not in `keep` (the repo also keeps each pkg's newest), as `token`'s caller. */
  gc(keep: Record<string, string[]>, token: string): Promise<GcResult>;
}

export function repoOverKrpc(url: string, token: TokenSource): AppRepo {
  const client = new RepoClient(url, token);
  return {
    async resolve(name, version) {
      let r;
      try {
        r = await client.resolve(version ? `${name}#${version}` : name, { includeUnready: true });
      } catch (e) {
        if (!(e instanceof KrpcError) || e.code !== 'NOT_FOUND') throw e;
        const known = await client.versions(name).then((v) => v.map((x) => x.version), () => []);
        throw new KrpcError('NOT_FOUND', known.length === 0
          ? `no package "${name}" in the zone's repo; publish it first with \`buckyos pkg publish\``
          : `package "${name}" has no version ${version ?? ''} in the zone's repo; published versions: ${known.join(', ')}`);
      }
      const memory = r.meta.min_resources?.memory_mb;
      return {
        name: r.name,
        version: r.version,
        description: r.meta.description || undefined,
        memoryMb: typeof memory === 'number' && memory > 0 ? memory : undefined,
        hasHealthCheck: typeof r.meta.health?.path === 'string' && r.meta.health.path.length > 0,
        size: r.meta.size,
      };
    },
    async prepareReady(name, version) {
      const r = await client.prepareReady(`${name}#${version}`);
      if (r.ready) return { ready: true, fetchedBytes: r.fetched_bytes };
      const problem = r.unresolved?.length
        ? `its dependencies ${r.unresolved.join(', ')} are not in the repo`
        : r.source_errors?.length
          ? `${r.missing_count ?? r.missing_chunks?.length ?? 'some'} of its chunks are missing and a source could not be asked: ${r.source_errors.join('; ')}`
          : `${r.missing_count ?? r.missing_chunks?.length ?? 'some'} of its chunks are missing and no source has them`;
      return { ready: false, fetchedBytes: r.fetched_bytes, problem };
    },
    versions: async (name) => (await client.versions(name)).map((v) => v.version),
    gc: (keep, token) => new RepoClient(url, token).gc(keep),
  };
}
