// The enrolment server an unjoined node runs on :3182 until the owner enrols it (ours; spec 40 §8):
// GET /device tells the owner's client what this device is and its join code, POST /kapi/join takes
// the owner-signed identity.
import type { AddressInfo } from 'node:net';
import { deviceMiniInfo } from '../lib/device-info.js';
import { readActivationState } from '../lib/identity/files.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import type { DataPaths } from '../lib/paths.js';
import { createJoinMethods, joinRequestOf } from './methods.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { Clock } from '../lib/clock.js';

/** An enrolment is a few documents. */
const JOIN_BODY_LIMIT = 64 * 1024;

export interface JoinServerOptions {
  paths: DataPaths;
  host: string;
  /** DEFAULT_PORTS.activation (3182); 0 picks a free port. */
  port: number;
  log: Logger;
  /** Called once, after commit_join has written the identity files. */
  onJoined: () => void;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
}

export interface JoinServer {
  port: number;
  /** The code the owner must confirm, XXXX-XXXX-XXXX. */
  joinCode: string;
  stop(): Promise<void>;
}

export async function startJoinServer(opts: JoinServerOptions): Promise<JoinServer> {
  const log = opts.log.child('join');
  const now = opts.now ?? nowSeconds;
  const request = await joinRequestOf(opts.paths, now());
  const app = createHttpServer({ log, bodyLimit: JOIN_BODY_LIMIT });
  app.get('/device', async () => ({
    ...deviceMiniInfo(await readActivationState(opts.paths)),
    device_type: 'server',
    join_code: request.join_code,
    device_public_key: request.device_public_key,
  }));
  registerKrpc(app, KAPI_PATHS.join, createJoinMethods({ paths: opts.paths, log, now, onJoined: opts.onJoined }), { log });
  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as AddressInfo).port;
  log.info('waiting to be enrolled', { host: opts.host, port, join_code: request.join_code });
  return { port, joinCode: request.join_code, stop: () => app.close() };
}
