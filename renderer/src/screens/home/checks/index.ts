import { appsCheck } from './apps';
import { diskCheck } from './disk';
import { rollbackCheck } from './rollback';
import type { CheckContext, CheckResult, HealthCheck } from './check';
import { nodesCheck } from './nodes';
import { repoCheck } from './repo';
import { servicesCheck } from './services';
import { sessionCheck } from './session';

export const HEALTH_CHECKS: HealthCheck[] = [servicesCheck, nodesCheck, diskCheck, repoCheck, appsCheck, rollbackCheck, sessionCheck];

export function runChecks(ctx: CheckContext): { id: string; result: CheckResult }[] {
  return HEALTH_CHECKS.map((c) => ({ id: c.id, result: c.run(ctx) }));
}

export const overallStatus = (results: { result: CheckResult }[]) =>
  results.some((r) => r.result.status === 'bad') ? 'bad' : results.some((r) => r.result.status === 'warn') ? 'warn' : 'ok';
