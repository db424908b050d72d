import type { CheckResult, HealthCheck } from './check';

/** Placement states the scheduler reports for an app that runs as asked. */
const HEALTHY = new Set(['running', 'deploying', 'stopped']);

export const appsCheck: HealthCheck = {
  id: 'apps',
  run: ({ overview }): CheckResult => {
    if (!overview) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    if (overview.apps.length === 0) return { status: 'ok', what: 'home.checks.apps.none' };
    const failed = overview.apps.filter((a) => !HEALTHY.has(a.state) || a.unplaced).map((a) => a.id);
    return failed.length === 0
      ? { status: 'ok', what: 'home.checks.apps.ok', values: { count: overview.apps.length } }
      : { status: 'bad', what: 'home.checks.apps.bad', next: 'home.checks.apps.next', values: { apps: failed.join(', '), count: failed.length } };
  },
};
