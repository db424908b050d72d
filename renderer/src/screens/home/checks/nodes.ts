import type { CheckResult, HealthCheck } from './check';

export const nodesCheck: HealthCheck = {
  id: 'nodes',
  run: ({ snapshot }): CheckResult => {
    if (!snapshot) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    const quiet = Object.entries(snapshot.nodes).filter(([, n]) => n.status !== 'ready' && n.status !== 'unschedulable').map(([name]) => name);
    return quiet.length === 0
      ? { status: 'ok', what: 'home.checks.nodes.ok', values: { count: Object.keys(snapshot.nodes).length } }
      : { status: 'warn', what: 'home.checks.nodes.warn', next: 'home.checks.nodes.next', values: { devices: quiet.join(', '), count: quiet.length } };
  },
};
