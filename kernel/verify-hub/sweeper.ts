// Removes expired sessions, replay markers, revocation list entries and login failure counters that no
// longer matter, so security/verify-hub/ does not grow with every login.
import type { Logger } from '../lib/log.js';
import { REPLAY_PREFIX, REVOKED_SESSIONS_PREFIX, SESSIONS_PREFIX, type KvTxAction, type VerifyHubKv } from './kv.js';
import { parseSessionRecord, replayMarkerExpiry, revokedSessionExpiry } from './sessions.js';
import { DEFAULT_LOCKOUT, sweepLockoutCounters, type LockoutPolicy } from './throttle.js';

const BATCH = 200;

export async function sweepExpired(kv: VerifyHubKv, nowS: number, lockout: LockoutPolicy = DEFAULT_LOCKOUT): Promise<number> {
  const expired: string[] = [];
  for (const name of await kv.list(REPLAY_PREFIX)) {
    if (replayMarkerExpiry(name) < nowS) expired.push(`${REPLAY_PREFIX}/${name}`);
  }
  for (const name of await kv.list(SESSIONS_PREFIX)) {
    const key = `${SESSIONS_PREFIX}/${name}`;
    const entry = await kv.get(key);
    const record = entry && parseSessionRecord(entry.value);
    if (entry && (!record || record.exp < nowS)) expired.push(key);
  }
  for (const name of await kv.list(REVOKED_SESSIONS_PREFIX)) {
    const key = `${REVOKED_SESSIONS_PREFIX}/${name}`;
    const entry = await kv.get(key);
    // An unreadable entry is kept: dropping it early could let an ended session back in.
    if (entry && revokedSessionExpiry(entry.value) < nowS) expired.push(key);
  }
  for (let i = 0; i < expired.length; i += BATCH) {
    const actions: Record<string, KvTxAction> = {};
    for (const key of expired.slice(i, i + BATCH)) actions[key] = { action: 'remove' };
    await kv.execTx(actions);
  }
  return expired.length + (await sweepLockoutCounters(kv, nowS * 1000, lockout));
}

/** Sweeps now and then every `intervalMs`; failures are logged and retried at the next tick. Returns stop. */
export function startSweeper(kv: VerifyHubKv, log: Logger, nowS: () => number, intervalMs: number, lockout: LockoutPolicy = DEFAULT_LOCKOUT): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= sweepExpired(kv, nowS(), lockout)
      .then((removed) => { if (removed > 0) log.info('removed expired sessions, replay markers, revocations and lockout counters', { removed }); })
      .catch((e) => log.warn('sweeping expired sessions failed; will retry', { err: (e as Error).message }))
      .finally(() => { running = undefined; });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
