import type { CheckResult, HealthCheck } from './check';

export const repoCheck: HealthCheck = {
  id: 'repo',
  run: ({ silentServices }): CheckResult => silentServices.includes('repo')
    ? { status: 'bad', what: 'home.checks.repo.bad', next: 'home.checks.repo.next' }
    : { status: 'ok', what: 'home.checks.repo.ok' },
};
