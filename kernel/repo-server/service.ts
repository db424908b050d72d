// repo-server (:4000, /kapi/repo): the zone's pkg repository. kRPC for the index (list, versions,
// get_meta, resolve, prepare_ready, set_sources, sync, gc, stats), a streaming upload route for publishing
// and a chunk route with Range support for nodes. Its data lives under `root` (e.g. <data>/repo):
// index.json, metas/, chunks/ and tmp/.
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import type { PkgLimits } from '../pkg/verify.js';
import { RepoGuard, type RepoAction, type RepoPrincipal } from './access.js';
import { registerChunkRoute, registerChunksRoute } from './chunk-route.js';
import { repoMethods } from './methods.js';
import { Repo } from './repo.js';
import { registerUploadRoute } from './upload-route.js';
import { REPO_PATH } from './wire.js';
import type { Clock } from '../lib/clock.js';

export { REPO_PATH };

export interface RepoServerOptions<P extends RepoPrincipal = RepoPrincipal> {
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  root: string;
  /** Resolves with the caller of a token, or throws UNAUTHENTICATED / TOKEN_EXPIRED. */
  verifyToken: (token: string) => Promise<P>;
  authorize: (principal: P, action: RepoAction, pkgName?: string) => Promise<boolean>;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** Limits every pkg must respect (default: kernel/pkg's DEFAULT_LIMITS, 1 GiB of content). */
  limits?: Partial<PkgLimits>;
  /** Largest upload body (default: the content limit plus room for tar headers and the meta). */
  maxUploadBytes?: number;
  maxConcurrentUploads?: number;
}

export interface RepoServerHandle {
  port: number;
  stop(): Promise<void>;
}

const UPLOAD_OVERHEAD = 64 * 1024 * 1024;
const STOP_GRACE_MS = 2000;

export async function startRepoServer<P extends RepoPrincipal>(opts: RepoServerOptions<P>): Promise<RepoServerHandle> {
  const { log } = opts;
  const repo = await Repo.open({ root: opts.root, log, now: opts.now, limits: opts.limits });
  const guard = new RepoGuard<P>({ verifyToken: opts.verifyToken, authorize: opts.authorize });

  const app = createHttpServer({ log, bodyLimit: 1024 * 1024 });
  registerKrpc(app, REPO_PATH, repoMethods(repo, guard), { log });
  registerChunkRoute(app, { store: repo.store, guard, log });
  registerChunksRoute(app, { store: repo.store, guard, log });
  registerUploadRoute(app, {
    repo,
    guard,
    log,
    maxUploadBytes: opts.maxUploadBytes ?? repo.limits.maxTotalBytes + 2 * repo.limits.maxMetaBytes + UPLOAD_OVERHEAD,
    maxConcurrentUploads: opts.maxConcurrentUploads ?? 4,
  });
  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as { port: number }).port;
  log.info('repo-server listening', { url: `http://${opts.host}:${port}${REPO_PATH}`, root: opts.root });
  return {
    port,
    async stop() {
      // Idle keep-alive connections close at once; a download still running gets a moment, then is cut
      // (a node resumes it with a Range request).
      const closing = app.close();
      const force = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
      try {
        await closing;
      } finally {
        clearTimeout(force);
      }
    },
  };
}
