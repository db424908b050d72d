// Home's data: control-panel's zone.overview (nodes and apps, from the scheduler), which kernel services answer, and
// the counts the owner sees. Everything is read with the owner's own session, so it shows what they
// may see; what they may not (people, without sudo) is left out rather than guessed.
import i18n from 'i18next';
import { create } from 'zustand';
import { PanelError } from '../../api/krpc';
import type { ZoneOverview } from '../../api/kernel-types';
import { tokenExpiry, useSession } from '../../stores/session';
import { runChecks, overallStatus } from './checks';
import type { CheckResult } from './checks/check';
import { PROBED_SERVICES } from './checks/services';
import { reportToDesktop } from '../../desktop/desktop';

export interface HomeCounts { devices?: number; apps?: number; people?: number }

export interface HomeState {
  loading: boolean;
  error?: unknown;
  checks: { id: string; result: CheckResult }[];
  overall: 'ok' | 'warn' | 'bad';
  counts: HomeCounts;
  load(): Promise<void>;
}

/** A kRPC answer of any kind (even a refusal) proves the service is up behind the gateway. */
export function answered(e: unknown): boolean {
  if (!(e instanceof PanelError)) return false;
  if (e.code === 'UNREACHABLE' || e.code === 'UNAVAILABLE' || e.code === 'TIMEOUT' || e.code === 'BAD_ANSWER') return false;
  // The gateway's own 404 for a service it has no route to.
  return !(e.code === 'NOT_FOUND' && /^no service /.test(e.detail));
}

export const useHome = create<HomeState>()((set) => ({
  loading: true,
  checks: [],
  overall: 'ok',
  counts: {},

  async load() {
    const { call, callRaw, refreshToken } = useSession.getState();
    set({ loading: true, error: undefined });
    try {
      const overview: ZoneOverview = await call('control-panel', 'zone.overview', {});
      const probes = await Promise.all(PROBED_SERVICES.map(async (service) => {
        try {
          await callRaw(service, 'panel.ping', {}, { timeoutMs: 5000 });
          return undefined;
        } catch (e) {
          return answered(e) ? undefined : service;
        }
      }));
      // Admins may list people; a plain user is refused by the kernel, and then the count stays hidden.
      // "root" is the owner key's own account, not a person.
      const people = await call('control-panel', 'user.list', {}).then((r) => r.users.filter((u) => u.user_type !== 'root').length, () => undefined);
      const installed = await call('app_manager', 'list_apps', {}).catch(() => undefined);
      const checks = runChecks({
        overview, installed, silentServices: probes.filter((s): s is (typeof PROBED_SERVICES)[number] => !!s),
        sessionEndsAt: tokenExpiry(refreshToken), now: Math.floor(Date.now() / 1000),
      });
      set({
        loading: false, checks, overall: overallStatus(checks),
        counts: {
          devices: overview.nodes.length,
          apps: overview.apps.length,
          people,
        },
      });
      reportToDesktop(overview, checks, (key, values) => i18n.t(key, values));
    } catch (error) {
      set({ loading: false, error });
    }
  },
}));
