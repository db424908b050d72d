// Brute-force limits for password login: failure counters per user name and per client address, with
// an exponential lockout. A guess is counted before it is checked (a reservation, handed back when the
// password was right), so concurrent guesses cannot get past the allowance; and the count is in KV
// (security/verify-hub/lockout/…) before the guess is evaluated, so a restart does not clear it.
// Reservations that arrive while a write is in flight share the next write (group commit).
import { isIP } from 'node:net';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { LOCKOUT_PREFIX, lockoutClientKey, lockoutUserKey, type KvTxAction, type VerifyHubKv } from './kv.js';

export interface LockoutPolicy {
  /** Failures allowed before the first lockout. */
  freeFailures: number;
  baseMs: number;
  capMs: number;
  /** A counter with no failure for this long starts over. */
  forgetAfterMs: number;
  /** Most counters kept in memory; KV keeps them all, the oldest unchanged one is dropped from memory first. */
  maxEntries: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  freeFailures: 5,
  baseMs: 1000,
  capMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxEntries: 10_000,
};

/** How long a counter with `failures` failures stays locked after its last failure. */
export function lockoutMs(failures: number, policy: LockoutPolicy = DEFAULT_LOCKOUT): number {
  if (failures < policy.freeFailures) return 0;
  const doublings = failures - policy.freeFailures;
  if (doublings >= 31) return policy.capMs;
  return Math.min(policy.baseMs * 2 ** doublings, policy.capMs);
}

/** A counter as stored at security/verify-hub/lockout/{users,clients}/<id>. */
export interface FailureCounter {
  failures: number;
  /** Unix milliseconds. */
  last_failure_ms: number;
}

export const userCounterKey = lockoutUserKey;
/** Anything that is not an IP address (it never should be) shares one counter. */
export const clientCounterKey = (ip: string) => lockoutClientKey(isIP(ip) ? ip : 'unknown');

export function parseFailureCounter(text: string): FailureCounter | undefined {
  try {
    const c = JSON.parse(text) as FailureCounter;
    return typeof c === 'object' && c !== null && Number.isSafeInteger(c.failures) && c.failures >= 0 && Number.isSafeInteger(c.last_failure_ms) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a stored counter no longer matters at `nowMs` (the sweeper removes it). */
export const counterForgotten = (c: FailureCounter, nowMs: number, policy: LockoutPolicy = DEFAULT_LOCKOUT) =>
  c.failures === 0 || nowMs - c.last_failure_ms > policy.forgetAfterMs;

interface Counter extends FailureCounter {
  key: string;
}

/** One counted login attempt: unless told otherwise it stays a failure. */
export interface LoginAttempt {
  /** The password was right and the session is open: the user's counter starts over, the client's failure is handed back. */
  succeeded(): void;
  /** The password was right but the login was refused for another reason: both failures are handed back. */
  notAGuess(): void;
}

const WRITE_BATCH = 500;

export class LoginThrottle {
  private readonly counters = new Map<string, Counter>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly dirty = new Set<Counter>();
  private writing: Promise<void> | undefined;
  private nextWrite: Promise<void> | undefined;

  constructor(
    private readonly kv: VerifyHubKv,
    private readonly log: Logger,
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
  ) {}

  /**
   * Counts one failure for the user name and for the client address before the password is checked;
   * resolves once that count is in KV. Throws RATE_LIMITED while either is locked out (nothing is
   * counted then), UNAVAILABLE when the count could not be stored (the guess is not evaluated).
   */
  async reserve(username: string, clientIp: string, nowMs: number): Promise<LoginAttempt> {
    const keys = [userCounterKey(username), clientCounterKey(clientIp)] as const;
    let user: Counter | undefined;
    let client: Counter | undefined;
    // A counter may leave the memory cache while we wait for the other one: load until both are here.
    while (!user || !client) {
      await Promise.all(keys.map((k) => this.load(k)));
      [user, client] = keys.map((k) => this.counters.get(k));
    }
    // From here to the write nothing awaits, so concurrent attempts see each other's reservations.
    const wait = Math.max(this.waitMs(user, nowMs), this.waitMs(client, nowMs));
    if (wait > 0) throw new KrpcError('RATE_LIMITED', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`);
    this.fail(user, nowMs);
    this.fail(client, nowMs);
    try {
      await this.flush();
    } catch (e) {
      this.log.warn('could not store a login failure count; refusing the attempt', { err: (e as Error).message });
      throw new KrpcError('UNAVAILABLE', 'login is unavailable for a moment; try again');
    }
    const u = user;
    const c = client;
    let settled = false;
    const settle = (userFailures: (n: number) => number) => {
      if (settled) return;
      settled = true;
      this.set(u, userFailures(u.failures));
      this.set(c, c.failures - 1);
      // Handing a failure back may be lost in a crash; that only errs on the safe side.
      this.flush().catch((e) => this.log.warn('could not store a login counter reset; will retry with the next write', { err: (e as Error).message }));
    };
    return { succeeded: () => settle(() => 0), notAGuess: () => settle((n) => n - 1) };
  }

  private waitMs(c: Counter, nowMs: number): number {
    if (nowMs - c.last_failure_ms > this.policy.forgetAfterMs) return 0;
    return Math.max(0, c.last_failure_ms + lockoutMs(c.failures, this.policy) - nowMs);
  }

  private fail(c: Counter, nowMs: number): void {
    c.failures = nowMs - c.last_failure_ms > this.policy.forgetAfterMs ? 1 : c.failures + 1;
    c.last_failure_ms = nowMs;
    this.dirty.add(c);
  }

  private set(c: Counter, failures: number): void {
    c.failures = Math.max(0, failures);
    this.dirty.add(c);
  }

  private load(key: string): Promise<void> {
    if (this.counters.has(key)) return Promise.resolve();
    let loading = this.loading.get(key);
    if (!loading) {
      loading = this.kv.get(key).then((entry) => {
        if (this.counters.has(key)) return;
        const stored = entry ? parseFailureCounter(entry.value) : undefined;
        this.counters.set(key, { key, failures: stored?.failures ?? 0, last_failure_ms: stored?.last_failure_ms ?? 0 });
        this.evict();
      }).finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }

  /** Drops the oldest counters whose value is in KV already; they load again when needed. */
  private evict(): void {
    if (this.counters.size <= this.policy.maxEntries) return;
    for (const [key, c] of this.counters) {
      if (this.counters.size <= this.policy.maxEntries) break;
      if (!this.dirty.has(c)) this.counters.delete(key);
    }
  }

  /** Writes every changed counter; a call during a write waits for it and then joins the next one. */
  private flush(): Promise<void> {
    if (!this.writing) {
      this.writing = this.write().finally(() => { this.writing = undefined; });
      return this.writing;
    }
    const again = () => { this.nextWrite = undefined; return this.flush(); };
    this.nextWrite ??= this.writing.then(again, again);
    return this.nextWrite;
  }

  private async write(): Promise<void> {
    const batch = [...this.dirty].slice(0, WRITE_BATCH);
    if (batch.length === 0) return;
    const actions: Record<string, KvTxAction> = {};
    for (const c of batch) {
      this.dirty.delete(c);
      // Always an upsert: the sweeper removes counters that no longer matter.
      actions[c.key] = { action: 'update', value: JSON.stringify({ failures: c.failures, last_failure_ms: c.last_failure_ms } satisfies FailureCounter) };
    }
    try {
      await this.kv.execTx(actions);
    } catch (e) {
      for (const c of batch) this.dirty.add(c);
      throw e;
    }
    if (this.dirty.size > 0 && batch.length === WRITE_BATCH) await this.write();
  }
}

/** Removes stored counters that no longer matter, each only if nobody changed it meanwhile. */
export async function sweepLockoutCounters(kv: VerifyHubKv, nowMs: number, policy: LockoutPolicy = DEFAULT_LOCKOUT): Promise<number> {
  let removed = 0;
  for (const kind of ['users', 'clients']) {
    const prefix = `${LOCKOUT_PREFIX}/${kind}`;
    for (const name of await kv.list(prefix)) {
      const key = `${prefix}/${name}`;
      const entry = await kv.get(key);
      const counter = entry && parseFailureCounter(entry.value);
      if (!entry || (counter && !counterForgotten(counter, nowMs, policy))) continue;
      try {
        await kv.execTx({ [key]: { action: 'remove' } }, { key, revision: entry.version });
        removed++;
      } catch (e) {
        if (!isKrpcError(e, 'VERSION_CONFLICT')) throw e;
      }
    }
  }
  return removed;
}
