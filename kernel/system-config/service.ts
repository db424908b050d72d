// system-config: the zone's KV source of truth over kRPC (POST /kapi/system_config, spec 10).
// The store is the caller's: stop() closes the endpoint, not the store.
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import { DEFAULT_MAX_VALUE_BYTES } from '../lib/kv-keys.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import type { Logger } from '../lib/log.js';
import type { KvStore } from './store/types.js';
import { AccessControl } from './access.js';
import type { Principal } from './principal.js';
import type { PolicyInspector } from '../lib/rbac/inspect.js';
import { WatchHub } from './watch.js';
import { systemConfigRoute } from './methods.js';
import { KAPI_PATHS } from '../api/krpc.js';

export const SYSTEM_CONFIG_PATH = KAPI_PATHS.systemConfig;

export interface SystemConfigOptions {
  store: KvStore;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  zoneDid: string;
  owner: { did: string; publicJwk: Ed25519PublicJwk };
  /** This OOD: its key is trusted and it is in the `ood` RBAC group even before the policy says so. */
  device: { name: string; did: string; publicJwk: Ed25519PublicJwk };
  /** Largest request body (default 4 MiB); larger ones get PAYLOAD_TOO_LARGE. */
  bodyLimit?: number;
  /** Largest stored value (default 1 MiB). */
  maxValueBytes?: number;
}

export interface SystemConfigHandle {
  port: number;
  stop(): Promise<void>;
  /** Rebuilds trust keys and RBAC from the store now (sys_refresh_trust_keys coalesces and limits this). */
  refreshTrustKeys(): Promise<void>;
  /** The caller of a token, verified against the zone's trust keys (for other services in this process). */
  authenticate(token: string): Promise<Principal>;
  /** The zone's RBAC decision on any resource. */
  enforce(principal: Principal, resource: string, action: string): Promise<boolean>;
  /** The enforcer in force and the zone's key names, for the control panel's permission previews. */
  readonly policy: PolicyInspector;
}

const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;

export async function startSystemConfig(opts: SystemConfigOptions): Promise<SystemConfigHandle> {
  const { store, log } = opts;
  const maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  const access = await AccessControl.open(store, { zoneDid: opts.zoneDid, owner: opts.owner, device: opts.device }, log);
  const watches = new WatchHub(store);
  const app = createHttpServer({ log, bodyLimit: opts.bodyLimit ?? Math.max(DEFAULT_BODY_LIMIT, 2 * maxValueBytes + 64 * 1024) });
  const route = systemConfigRoute({ store, access, watches, maxValueBytes });
  registerKrpc(app, SYSTEM_CONFIG_PATH, route.methods, { log, before: route.before });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (e) {
    watches.close();
    access.close();
    throw e;
  }
  const port = (app.server.address() as { port: number }).port;
  log.info('system-config listening', { url: `http://${opts.host}:${port}${SYSTEM_CONFIG_PATH}` });
  return {
    port,
    async stop() {
      // Waiting watches answer first, so closing the server does not wait out their long-polls.
      watches.close();
      await app.close();
      access.close();
    },
    refreshTrustKeys: () => access.reload(Number.POSITIVE_INFINITY),
    authenticate: (token) => access.authenticate(token),
    enforce: (principal, resource, action) => access.enforce(principal, resource, action),
    policy: access.inspector,
  };
}
