import type { CheckResult, HealthCheck } from './check';

export const nodesCheck: HealthCheck = {
  id: 'nodes',
  run: ({ overview }): CheckResult => {
    if (!overview) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    const quiet = overview.nodes.filter((n) => n.status !== 'ready' && n.status !== 'unschedulable').map((n) => n.name);
    return quiet.length === 0
      ? { status: 'ok', what: 'home.checks.nodes.ok', values: { count: overview.nodes.length } }
      : { status: 'warn', what: 'home.checks.nodes.warn', next: 'home.checks.nodes.next', values: { devices: quiet.join(', '), count: quiet.length } };
  },
};
