import type { CheckResult, HealthCheck } from './check';

/** Warn when the sign-in ends within a day: the owner should not be surprised mid-task. */
const NEAR_S = 24 * 3600;

export const sessionCheck: HealthCheck = {
  id: 'session',
  run: ({ sessionEndsAt, now }): CheckResult => {
    if (sessionEndsAt === undefined || sessionEndsAt - now > NEAR_S) return { status: 'ok', what: 'home.checks.session.ok' };
    return { status: 'warn', what: 'home.checks.session.warn', next: 'home.checks.session.next', values: { hours: Math.max(0, Math.round((sessionEndsAt - now) / 3600)) } };
  },
};
