// Brute-force limits for password login: failure counters per user name and per client address, with
// an exponential lockout. Counters live in memory: a restart forgets them, which costs an attacker
// a restart of the OOD per few guesses (not something they control).
import { KrpcError } from '../lib/errors.js';

export interface LockoutPolicy {
  /** Failures allowed before the first lockout. */
  freeFailures: number;
  baseMs: number;
  capMs: number;
  /** A counter with no failure for this long starts over. */
  forgetAfterMs: number;
  /** Most counters kept per kind; the oldest is dropped first. */
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

interface FailureCounter {
  failures: number;
  lastFailureMs: number;
}

class FailureCounters {
  private readonly counters = new Map<string, FailureCounter>();
  constructor(private readonly policy: LockoutPolicy) {}

  private live(id: string, nowMs: number): FailureCounter | undefined {
    const c = this.counters.get(id);
    if (c && nowMs - c.lastFailureMs > this.policy.forgetAfterMs) {
      this.counters.delete(id);
      return undefined;
    }
    return c;
  }

  /** Milliseconds until `id` may try again (0 when it may now). */
  waitMs(id: string, nowMs: number): number {
    const c = this.live(id, nowMs);
    if (!c) return 0;
    return Math.max(0, c.lastFailureMs + lockoutMs(c.failures, this.policy) - nowMs);
  }

  fail(id: string, nowMs: number): void {
    const failures = (this.live(id, nowMs)?.failures ?? 0) + 1;
    this.counters.delete(id);
    this.counters.set(id, { failures, lastFailureMs: nowMs });
    if (this.counters.size > this.policy.maxEntries) this.counters.delete(this.counters.keys().next().value!);
  }

  reset(id: string): void {
    this.counters.delete(id);
  }
}

export class LoginThrottle {
  private readonly users: FailureCounters;
  private readonly clients: FailureCounters;

  constructor(policy: LockoutPolicy = DEFAULT_LOCKOUT) {
    this.users = new FailureCounters(policy);
    this.clients = new FailureCounters(policy);
  }

  /** Throws RATE_LIMITED while the user name or the client address is locked out. */
  check(username: string, clientIp: string, nowMs: number): void {
    const wait = Math.max(this.users.waitMs(username, nowMs), this.clients.waitMs(clientIp, nowMs));
    if (wait > 0)
      throw new KrpcError('RATE_LIMITED', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`);
  }

  failure(username: string, clientIp: string, nowMs: number): void {
    this.users.fail(username, nowMs);
    this.clients.fail(clientIp, nowMs);
  }

  success(username: string): void {
    this.users.reset(username);
  }
}
