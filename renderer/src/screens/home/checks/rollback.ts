import type { CheckResult, HealthCheck } from './check';

/** A rollback is news for a week; after that it is history (the Apps screen still shows it). */
export const RECENT_ROLLBACK_MS = 7 * 24 * 3600 * 1000;

export const rollbackCheck: HealthCheck = {
  id: 'rollback',
  run: ({ installed, now }): CheckResult => {
    const recent = (installed ?? [])
      .filter((a) => a.last_rollback?.automatic && now * 1000 - a.last_rollback.at < RECENT_ROLLBACK_MS)
      .sort((a, b) => b.last_rollback!.at - a.last_rollback!.at);
    if (recent.length === 0) return { status: 'ok', what: 'homeChecks.rollback.none' };
    const r = recent[0].last_rollback!;
    return {
      status: 'warn', what: r.data_restored ? 'homeChecks.rollback.recentRestored' : 'homeChecks.rollback.recent', next: 'homeChecks.rollback.next',
      values: { app: recent[0].name, from: r.from, to: r.to, count: recent.length },
    };
  },
};
