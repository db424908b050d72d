// app-manager (:4010, /kapi/app_manager): install, upgrade (health check, automatic rollback with
// the data snapshot restored), rollback, uninstall and list of a user's apps. Requests are checked with
// the caller's token; the pipeline runs with the app-manager's own token and resumes every unfinished
// task from KV when it starts.
import { describeError } from '../lib/errors.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { TokenSource } from '../lib/krpc/client.js';
import type { Logger } from '../lib/log.js';
import { SystemConfigClient } from '../system-config/client.js';
import { Callers } from './callers.js';
import { APP_MANAGER_PATH, appManagerMethods } from './methods.js';
import { AppPipeline } from './pipeline.js';
import type { AppRepo } from './repo.js';
import type { Clock } from '../lib/clock.js';

export { APP_MANAGER_PATH };

export interface AppManagerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** system-config's kRPC URL */
  kvUrl: string;
  /** the app-manager's own token (a device-signed token with appid "app-manager") */
  serviceToken: TokenSource;
  repo: AppRepo;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** How long a new version has to pass its health check once its process is up (default 20 s). */
  healthTimeoutMs?: number;
  /** How long a new version may take to be placed, downloaded and started (default 10 min). */
  deployTimeoutMs?: number;
  /** How long an uninstall waits for the app to stop (default 60 s). */
  removeTimeoutMs?: number;
}

export interface AppManagerHandle {
  port: number;
  stop(): Promise<void>;
}

const RESUME_RETRY_MS = 2000;

export async function startAppManager(o: AppManagerOptions): Promise<AppManagerHandle> {
  const now = o.now ?? Date.now;
  const kv = new SystemConfigClient(o.kvUrl, o.serviceToken);
  const pipeline = new AppPipeline({ kv, repo: o.repo, log: o.log, now, deployTimeoutMs: o.deployTimeoutMs, removeTimeoutMs: o.removeTimeoutMs });
  const app = createHttpServer({ log: o.log, bodyLimit: 64 * 1024 });
  registerKrpc(app, APP_MANAGER_PATH, appManagerMethods({
    callers: new Callers(o.kvUrl, now), pipeline, kv, repo: o.repo, now, healthTimeoutMs: o.healthTimeoutMs ?? 20_000,
  }), { log: o.log });
  await app.listen({ host: o.host, port: o.port });
  const port = (app.server.address() as { port: number }).port;
  o.log.info('app-manager listening', { url: `http://${o.host}:${port}${APP_MANAGER_PATH}` });

  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  const resume = () => {
    pipeline.resumeAll().then(
      (n) => { if (n > 0) o.log.info('resumed unfinished app tasks', { tasks: n }); },
      (e) => {
        if (stopped) return;
        o.log.warn('cannot read install records yet; retrying', { err: describeError(e) });
        retry = setTimeout(resume, RESUME_RETRY_MS);
      },
    );
  };
  resume();

  return {
    port,
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      await app.close();
      await pipeline.stop();
    },
  };
}
