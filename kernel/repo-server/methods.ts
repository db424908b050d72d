// The repo's kRPC methods (POST /kapi/repo). Every call names its caller with a token (sys[1], or an
// Authorization header) and is authorized per pkg: reads need read, prepare needs write on the pkg,
// sources/sync/GC need write on the whole repo.
import { isAbsolute, normalize } from 'node:path';
import { invalidParams } from '../lib/errors.js';
import { krpcMethods, type KrpcContext, type KrpcMethods } from '../lib/krpc/server.js';
import type { RepoMethods, RepoSourceParams } from '../api/repo.js';
import { assertPkgName, isExactVersion, parsePkgId } from '../pkg/id.js';
import { bearerToken, type RepoAction, type RepoGuard, type RepoPrincipal } from './access.js';
import { repoBaseUrl } from './client.js';
import type { Repo } from './repo.js';
import { emptyParams, gcParams, idParams, nameParams, resolveParams, setSourcesParams } from './schema.js';
import type { RepoSource } from './wire.js';

function checkSource(s: RepoSourceParams, i: number): RepoSource {
  if (s.type === 'dir') {
    if (!s.path || !isAbsolute(s.path)) throw invalidParams(`sources[${i}]: a dir source needs an absolute "path" to a folder of .pkg files`);
    return { type: 'dir', path: normalize(s.path) };
  }
  if (!s.url) throw invalidParams(`sources[${i}]: a repo source needs a "url" like http://other-zone:3180`);
  return { type: 'repo', url: repoBaseUrl(s.url), ...(s.token ? { token: s.token } : {}) };
}

function checkKeep(keep: Record<string, string[]>): Record<string, string[]> {
  for (const [name, versions] of Object.entries(keep)) {
    assertPkgName(name);
    for (const v of versions) if (!isExactVersion(v)) throw invalidParams(`keep.${name}: ${JSON.stringify(v)} is not an exact version like 1.2.3`);
  }
  return keep;
}

export function repoMethods<P extends RepoPrincipal>(repo: Repo, guard: RepoGuard<P>): KrpcMethods {
  const allow = (ctx: KrpcContext, action: RepoAction, pkgName?: string) =>
    guard.check(ctx.token ?? bearerToken(ctx.request.headers.authorization), action, pkgName);

  return krpcMethods<RepoMethods>()({
    list: {
      params: emptyParams,
      handler: async (_p, ctx) => {
        await allow(ctx, 'read');
        return repo.list();
      },
    },
    versions: {
      params: nameParams,
      handler: async (p: { name: string }, ctx) => {
        await allow(ctx, 'read', assertPkgName(p.name));
        return repo.versions(p.name);
      },
    },
    get_meta: {
      params: idParams,
      handler: async (p: { id: string }, ctx) => {
        await allow(ctx, 'read', parsePkgId(p.id).name);
        return repo.getMeta(p.id);
      },
    },
    resolve: {
      params: resolveParams,
      handler: async (p: { id: string; include_unready?: boolean }, ctx) => {
        await allow(ctx, 'read', parsePkgId(p.id).name);
        return repo.resolve(p.id, { includeUnready: p.include_unready });
      },
    },
    prepare_ready: {
      params: idParams,
      handler: async (p: { id: string }, ctx) => {
        await allow(ctx, 'publish', parsePkgId(p.id).name);
        return repo.prepareReady(p.id);
      },
    },
    set_sources: {
      params: setSourcesParams,
      handler: async (p, ctx) => {
        await allow(ctx, 'admin');
        const sources = p.sources.map(checkSource);
        await repo.setSources(sources);
        return { sources: sources.length };
      },
    },
    sync: {
      params: emptyParams,
      handler: async (_p, ctx) => {
        await allow(ctx, 'admin');
        return repo.sync();
      },
    },
    gc: {
      params: gcParams,
      handler: async (p: { keep: Record<string, string[]> }, ctx) => {
        await allow(ctx, 'admin');
        return repo.gc(checkKeep(p.keep));
      },
    },
    stats: {
      params: emptyParams,
      handler: async (_p, ctx) => {
        await allow(ctx, 'read');
        return repo.stats();
      },
    },
  });
}
