// The activation server an unactivated OOD runs on :3182 (spec 40 §6.2): GET /device describes the
// device, POST /kapi/active is the activation kRPC API (no token: anyone on the LAN may try, which is
// why every commit is checked against documents and keys this process made itself). The wizard UI is
// served by the renderer, not here.
import type { AddressInfo } from 'node:net';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import type { DataPaths } from '../lib/paths.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { deviceMiniInfo } from './device-info.js';
import { readActivationState } from './files.js';
import { createActivationMethods } from './methods.js';

/** Activation requests are a few documents; nothing legitimate comes near this. */
const ACTIVATION_BODY_LIMIT = 64 * 1024;

export interface ActivationServerOptions {
  paths: DataPaths;
  host: string;
  /** DEFAULT_PORTS.activation (3182) in production; 0 picks a free port. */
  port: number;
  log: Logger;
  /** Called once, after a successful commit_active has written the identity files. */
  onActivated: () => void;
  /** Checked before a key is made and again before the commit writes anything (ActivationRuntime.preflight). */
  preflight?: () => Promise<void>;
  /** Unix seconds; tests move it to check expiry. */
  now?: () => number;
}

export interface ActivationServer {
  port: number;
  stop(): Promise<void>;
}

export async function startActivationServer(opts: ActivationServerOptions): Promise<ActivationServer> {
  const log = opts.log.child('activation');
  const app = createHttpServer({ log, bodyLimit: ACTIVATION_BODY_LIMIT });
  const activation = createActivationMethods({ paths: opts.paths, log, now: opts.now ?? nowSeconds, onActivated: opts.onActivated, preflight: opts.preflight });

  app.get('/device', async () => deviceMiniInfo(await readActivationState(opts.paths)));
  registerKrpc(app, '/kapi/active', activation.methods, { log });

  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as AddressInfo).port;
  log.info('activation server listening', { host: opts.host, port });
  return {
    port,
    async stop() {
      activation.forget();
      await app.close();
    },
  };
}
