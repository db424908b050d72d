// Restart delays for a crashing instance: 0.5 s, 1 s, 2 s … capped at 30 s; an instance that stayed up
// for a minute counts as healthy again and its next crash restarts after 0.5 s.
export interface BackoffPolicy {
  firstMs: number;
  capMs: number;
  resetAfterUpMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { firstMs: 500, capMs: 30_000, resetAfterUpMs: 60_000 };

export class RestartBackoff {
  private failures = 0;
  constructor(private readonly policy: BackoffPolicy = DEFAULT_BACKOFF) {}

  /** The delay before the next attempt, given how long the last run stayed up (0 if it never started). */
  next(upMs: number): number {
    if (upMs >= this.policy.resetAfterUpMs) this.failures = 0;
    const delay = Math.min(this.policy.capMs, this.policy.firstMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }
}

/** The one pending restart of an instance: `retry` runs after the backoff delay unless cancelled first. */
export class RestartTimer {
  private readonly backoff: RestartBackoff;
  private timer: NodeJS.Timeout | undefined;
  private fired = 0;

  constructor(policy: BackoffPolicy, private readonly retry: () => void) {
    this.backoff = new RestartBackoff(policy);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** How many restarts have been attempted. */
  get restarts(): number {
    return this.fired;
  }

  /** Replaces any pending restart with one after the next backoff delay, which it returns. */
  schedule(upMs: number): number {
    const delay = this.backoff.next(upMs);
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fired++;
      this.retry();
    }, delay);
    return delay;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Cancels and forgets earlier failures: the next failure waits the shortest delay again. */
  reset(): void {
    this.cancel();
    this.backoff.reset();
  }
}
