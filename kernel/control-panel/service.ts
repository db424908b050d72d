// The control-panel kernel service (/kapi/control-panel, upstream's name): the panel's methods that
// no other service answers. It holds no rights of its own: every method uses the caller's token.
import type { AddressInfo } from 'node:net';
import { createHttpServer, registerKrpc, type KrpcMethods } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import { controlPanelMethods, type LocalIdentity } from './methods.js';
import type { PolicyInspector } from '../lib/rbac/inspect.js';
import { opsMethods } from './ops.js';

export const CONTROL_PANEL_PATH = '/kapi/control-panel';

export interface ControlPanelOptions {
  host: string;
  port: number;
  log: Logger;
  kvUrl: string;
  identity: LocalIdentity;
  policy?: PolicyInspector;
  /** This node's logs folder, where app instances' logs are (system.logs.tail). */
  logsDir: string;
  /** More methods served at the same endpoint (the devices methods, issue 11). */
  extraMethods?: KrpcMethods;
}

export async function startControlPanel(opts: ControlPanelOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const app = createHttpServer({ log: opts.log });
  const methods = {
    ...controlPanelMethods({ kvUrl: opts.kvUrl, identity: opts.identity, policy: opts.policy, log: opts.log }),
    ...opsMethods({ kvUrl: opts.kvUrl, logsDir: opts.logsDir, nodeName: opts.identity.device.name }),
    ...opts.extraMethods,
  };
  registerKrpc(app, CONTROL_PANEL_PATH, methods, { log: opts.log });
  // The gateway forwards /kapi/control_panel (the id with "_") under the same route.
  registerKrpc(app, '/kapi/control_panel', methods, { log: opts.log });
  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as AddressInfo).port;
  opts.log.info('control-panel listening', { host: opts.host, port });
  return { port, stop: () => app.close() };
}
