import type { CheckResult, HealthCheck } from './check';

export const repoCheck: HealthCheck = {
  id: 'repo',
  run: ({ snapshot, silentServices }): CheckResult => {
    if (silentServices.includes('repo')) return { status: 'bad', what: 'home.checks.repo.bad', next: 'home.checks.repo.next' };
    if (!snapshot) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    const repo = snapshot.placements['repo-service'];
    return repo && repo.state === 'running'
      ? { status: 'ok', what: 'home.checks.repo.ok' }
      : { status: 'warn', what: 'home.checks.repo.warn', next: 'home.checks.repo.next' };
  },
};
