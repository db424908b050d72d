// The activation server an unactivated OOD runs on :3182 (spec 40 §6.2): GET /device describes the
// device, POST /kapi/active is the activation kRPC API (no token: anyone on the LAN may try, which is
// why every commit is checked against documents and keys this process made itself). Every other GET
// serves the control panel's build, which opens on the activation wizard when /device says "inactive".
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { servePanel } from '../lib/static-files.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import type { DataPaths } from '../lib/paths.js';
import { deviceMiniInfo } from '../lib/device-info.js';
import { readActivationState } from './files.js';
import { createActivationMethods } from './methods.js';
import { KAPI_PATHS } from '../api/krpc.js';
import { unixSeconds, type Clock } from '../lib/clock.js';

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
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** The built control panel, served at / (the wizard); absent: only /device and the kRPC API. */
  staticDir?: string;
}

export interface ActivationServer {
  port: number;
  stop(): Promise<void>;
}

export async function startActivationServer(opts: ActivationServerOptions): Promise<ActivationServer> {
  const log = opts.log.child('activation');
  const app = createHttpServer({ log, bodyLimit: ACTIVATION_BODY_LIMIT });
  const activation = createActivationMethods({ paths: opts.paths, log, now: () => unixSeconds(opts.now), onActivated: opts.onActivated, preflight: opts.preflight });

  app.get('/device', async () => deviceMiniInfo(await readActivationState(opts.paths)));
  registerKrpc(app, KAPI_PATHS.activation, activation.methods, { log });
  if (opts.staticDir) {
    const panelDir = resolve(opts.staticDir);
    app.get('/*', async (req, reply) => {
      const notFound = () => ({ error: new KrpcError('NOT_FOUND', `nothing at ${req.url.split('?')[0]}`).toWire(), sys: [0] });
      if (req.url.startsWith('/kapi/')) return reply.code(404).send(notFound());
      reply.hijack();
      if (!(await servePanel(panelDir, req.raw, reply.raw))) {
        reply.raw.writeHead(404, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify(notFound()));
      }
    });
  }

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
