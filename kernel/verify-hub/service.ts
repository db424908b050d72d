// verify-hub (:3300, POST /kapi/verify_hub): the zone's login service. It signs with the key the
// first-boot builder stores at security/verify-hub/key and keeps session state in system-config.
import { describeError } from '../lib/errors.js';
import { isEd25519PublicJwk, publicJwkFromPrivatePem, sameKey, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import { BOOT_CONFIG_KEY, VERIFY_HUB_KEY, type VerifyHubKv } from './kv.js';
import { verifyHubMethods } from './methods.js';
import { SessionStore } from './sessions.js';
import { startSweeper } from './sweeper.js';
import { DEFAULT_LOCKOUT, LoginThrottle, type LockoutPolicy } from './throttle.js';
import { TokenIssuer } from './tokens.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { Clock } from '../lib/clock.js';

export const VERIFY_HUB_PATH = KAPI_PATHS.verifyHub;

export interface VerifyHubOptions {
  host: string;
  port: number;
  log: Logger;
  /** system-config, reached with a device-signed token of appid "verify-hub". */
  kv: VerifyHubKv;
  zoneDid: string;
  /** The zone owner's key: signs device documents and root login JWTs. */
  ownerPublicJwk: Ed25519PublicJwk;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  lockout?: LockoutPolicy;
  /** This node's gateway secret: only requests carrying it may name the client in X-Forwarded-For. */
  gatewaySecret?: string;
  sweepIntervalMs?: number;
  /** How often to look again for the signing key while first boot has not written it yet. */
  keyPollMs?: number;
  /** Lifetime of sudo tokens in seconds (default 3 min; tests shorten it). */
  sudoTtlS?: number;
}

export interface VerifyHubHandle {
  port: number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until system-config holds the verify-hub key (first boot writes it just before we start). */
async function loadSigningKey(kv: VerifyHubKv, log: Logger, pollMs: number): Promise<{ pem: string; publicJwk: Ed25519PublicJwk }> {
  for (let attempt = 0; ; attempt++) {
    let problem: string;
    try {
      const entry = await kv.get(VERIFY_HUB_KEY);
      if (entry) {
        const pem = entry.value.trim();
        return { pem, publicJwk: publicJwkFromPrivatePem(pem) };
      }
      problem = `${VERIFY_HUB_KEY} is not in system-config yet`;
    } catch (e) {
      problem = describeError(e);
    }
    if (attempt % 40 === 0) log.warn('waiting for the verify-hub signing key', { problem });
    await sleep(pollMs);
  }
}

/** Warns when boot/config publishes another key: every service would then refuse our tokens. */
async function checkPublishedKey(kv: VerifyHubKv, publicJwk: Ed25519PublicJwk, log: Logger): Promise<void> {
  try {
    const entry = await kv.get(BOOT_CONFIG_KEY);
    const published = entry ? (JSON.parse(entry.value) as { verify_hub_info?: { public_key?: unknown } }).verify_hub_info?.public_key : undefined;
    if (!isEd25519PublicJwk(published) || !sameKey(published, publicJwk))
      log.error(`${BOOT_CONFIG_KEY} does not publish this verify-hub key; services will refuse its tokens`, { key: VERIFY_HUB_KEY });
  } catch (e) {
    log.warn('could not read boot/config to check the published verify-hub key', { err: describeError(e) });
  }
}

export async function startVerifyHub(opts: VerifyHubOptions): Promise<VerifyHubHandle> {
  const log = opts.log;
  const nowMs = opts.now ?? Date.now;
  const key = await loadSigningKey(opts.kv, log, opts.keyPollMs ?? 250);
  await checkPublishedKey(opts.kv, key.publicJwk, log);

  const sessions = new SessionStore(opts.kv);
  const lockout = opts.lockout ?? DEFAULT_LOCKOUT;
  const methods = verifyHubMethods({
    kv: opts.kv,
    log,
    issuer: new TokenIssuer(key.pem, key.publicJwk, opts.zoneDid),
    sessions,
    throttle: new LoginThrottle(opts.kv, log, lockout),
    ownerPublicJwk: opts.ownerPublicJwk,
    nowMs,
    gatewaySecret: opts.gatewaySecret,
    sudoTtlS: opts.sudoTtlS,
  });

  const app = createHttpServer({ log, bodyLimit: 64 * 1024 });
  registerKrpc(app, VERIFY_HUB_PATH, methods, { log });
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const stopSweeper = startSweeper(opts.kv, log, () => Math.floor(nowMs() / 1000), opts.sweepIntervalMs ?? 10 * 60_000, lockout);
  log.info('verify-hub listening', { host: opts.host, port });

  return {
    port,
    async stop() {
      await stopSweeper();
      await app.close();
    },
  };
}
