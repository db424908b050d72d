import type { CheckResult, HealthCheck } from './check';

/** Placement states the scheduler reports for an app that runs as asked. */
const HEALTHY = new Set(['running', 'deploying', 'stopped']);

export const appsCheck: HealthCheck = {
  id: 'apps',
  run: ({ snapshot }): CheckResult => {
    if (!snapshot) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    const apps = Object.entries(snapshot.placements).filter(([, p]) => p.kind === 'app');
    const failed = apps.filter(([, p]) => !HEALTHY.has(p.state) || p.unplaced).map(([id]) => id);
    if (apps.length === 0) return { status: 'ok', what: 'home.checks.apps.none' };
    return failed.length === 0
      ? { status: 'ok', what: 'home.checks.apps.ok', values: { count: apps.length } }
      : { status: 'bad', what: 'home.checks.apps.bad', next: 'home.checks.apps.next', values: { apps: failed.join(', '), count: failed.length } };
  },
};
