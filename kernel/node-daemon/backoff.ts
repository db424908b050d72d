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

  get attempts(): number {
    return this.failures;
  }
}
