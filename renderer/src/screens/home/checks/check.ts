// One zone-health check per file (Rancher Desktop's diagnostics shape): each looks at what the
// signed-in person may read and answers ok / warn / bad with a sentence and a next step (i18n keys).
import type { AppListEntry } from '../../../../../kernel/api/app-manager';
import type { ZoneOverview } from '../../../api/kernel-types';

export type CheckStatus = 'ok' | 'warn' | 'bad';

export interface CheckResult {
  status: CheckStatus;
  /** i18n key of what we found. */
  what: string;
  /** i18n key of what to do; absent when all is well. */
  next?: string;
  values?: Record<string, string | number>;
}

export interface CheckContext {
  /** control-panel's zone.overview (nodes and apps from the scheduler), or undefined when it could not be read. */
  overview?: ZoneOverview;
  /** The signed-in person's apps (app-manager's list_apps), when it could be read. */
  installed?: AppListEntry[];
  /** Services that did not answer (kRPC service ids). */
  silentServices: string[];
  /** Unix seconds the refresh token (the sign-in) ends, if known. */
  sessionEndsAt?: number;
  now: number;
}

export interface HealthCheck {
  id: string;
  run(ctx: CheckContext): CheckResult;
}
