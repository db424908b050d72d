// Home's data: the scheduler's last snapshot (nodes, placements), which kernel services answer, and
// the counts the owner sees. Everything is read with the owner's own session, so it shows what they
// may see; what they may not (people, without sudo) is left out rather than guessed.
import { create } from 'zustand';
import { PanelError } from '../../api/krpc';
import type { SchedulerSnapshot } from '../../api/kernel-types';
import type { SCHEDULER_SNAPSHOT_KEY } from '../../../../kernel/api/keys';

/** kernel/api's SCHEDULER_SNAPSHOT_KEY, spelled here because the page imports kernel/api as types only. */
const SNAPSHOT_KEY: typeof SCHEDULER_SNAPSHOT_KEY = 'system/scheduler/snapshot';
import { tokenExpiry, useSession } from '../../stores/session';
import { runChecks, overallStatus } from './checks';
import type { CheckResult } from './checks/check';
import { PROBED_SERVICES } from './checks/services';

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
      const entry = await call('system_config', 'sys_config_get', { key: SNAPSHOT_KEY });
      const snapshot = entry ? (JSON.parse(entry.value) as SchedulerSnapshot) : undefined;
      const probes = await Promise.all(PROBED_SERVICES.map(async (service) => {
        try {
          await callRaw(service, 'panel.ping', {}, { timeoutMs: 5000 });
          return undefined;
        } catch (e) {
          return answered(e) ? undefined : service;
        }
      }));
      const people = await call('system_config', 'sys_config_list', { key: 'users' }).then((u) => u.length, () => undefined);
      const checks = runChecks({
        snapshot, silentServices: probes.filter((s): s is (typeof PROBED_SERVICES)[number] => !!s),
        sessionEndsAt: tokenExpiry(refreshToken), now: Math.floor(Date.now() / 1000),
      });
      set({
        loading: false, checks, overall: overallStatus(checks),
        counts: {
          devices: snapshot ? Object.keys(snapshot.nodes).length : undefined,
          apps: snapshot ? Object.values(snapshot.placements).filter((p) => p.kind === 'app').length : undefined,
          people,
        },
      });
    } catch (error) {
      set({ loading: false, error });
    }
  },
}));
