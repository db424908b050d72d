// Logging a dependency that stopped answering (a node that cannot reach its OOD): one WARN when it
// starts failing, reminders at doubling intervals while it keeps failing, and one INFO when it answers
// again — instead of a WARN for every retry.
import { describeError, KrpcError } from './errors.js';
import type { Logger } from './log.js';
import type { Clock } from './clock.js';

export interface OutageLogOptions {
  /** the first reminder after this long (default 1 min); each next one waits twice as long */
  firstReminderMs?: number;
  /** reminders are at most this far apart (default 30 min) */
  maxReminderMs?: number;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
}

export class OutageLog {
  private since: number | undefined;
  private nextReminderAt = 0;
  private reminderGap: number;
  private failures = 0;
  private lastKind = '';
  private readonly firstReminderMs: number;
  private readonly maxReminderMs: number;
  private readonly now: () => number;

  /** `what` names the dependency in a sentence, e.g. "the OOD's system-config". */
  constructor(private readonly log: Logger, private readonly what: string, opts: OutageLogOptions = {}) {
    this.firstReminderMs = opts.firstReminderMs ?? 60_000;
    this.maxReminderMs = opts.maxReminderMs ?? 30 * 60_000;
    this.reminderGap = this.firstReminderMs;
    this.now = opts.now ?? Date.now;
  }

  get failing(): boolean {
    return this.since !== undefined;
  }

  /** A call to the dependency failed; `doing` says what we could not do (kept out of the reminders' cadence). */
  failed(e: unknown, doing: string): void {
    const now = this.now();
    const err = describeError(e);
    // The same outage shows as "refused", "reset", "timed out"...: only another kind of error is news.
    const kind = e instanceof KrpcError ? e.code : err;
    this.failures++;
    if (this.since === undefined) {
      this.since = now;
      this.failures = 1;
      this.reminderGap = this.firstReminderMs;
      this.nextReminderAt = now + this.reminderGap;
      this.lastKind = kind;
      this.log.warn(`cannot reach ${this.what}; retrying quietly, will say when it answers again`, { doing, err });
      return;
    }
    if (now >= this.nextReminderAt || kind !== this.lastKind) {
      this.log.warn(`still cannot reach ${this.what}`, { for: formatDuration(now - this.since), failures: this.failures, doing, err });
      this.lastKind = kind;
      if (now >= this.nextReminderAt) {
        this.reminderGap = Math.min(this.reminderGap * 2, this.maxReminderMs);
        this.nextReminderAt = now + this.reminderGap;
      }
      return;
    }
    this.log.debug(`cannot reach ${this.what}`, { doing, err });
  }

  /** A call to the dependency worked. */
  ok(): void {
    if (this.since === undefined) return;
    this.log.info(`${this.what} answers again`, { after: formatDuration(this.now() - this.since), failures: this.failures });
    this.since = undefined;
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ''}`;
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
}
