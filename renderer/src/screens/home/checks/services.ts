import type { CheckResult, HealthCheck } from './check';

/** The kernel services the panel talks to; each must answer through the gateway. */
export const PROBED_SERVICES = ['system_config', 'verify_hub', 'scheduler', 'app_manager', 'repo', 'control-panel'] as const;

export const servicesCheck: HealthCheck = {
  id: 'services',
  run: ({ silentServices }): CheckResult => silentServices.length === 0
    ? { status: 'ok', what: 'home.checks.services.ok' }
    : { status: 'bad', what: 'home.checks.services.bad', next: 'home.checks.services.next', values: { services: silentServices.join(', ') } },
};
