// The Apps screen's state: the zone's library (repo), the installed apps with any running task
// (app-manager keeps it, so a reload shows the same progress), and the owner's intents.
import { create } from 'zustand';
import type { AppListEntry } from '../../../../kernel/api/app-manager';
import { useSession } from '../../stores/session';
import { BUSY_STATES } from './progress';

export interface CatalogEntry {
  name: string;
  latest: string;
  versions: string[];
  description?: string;
  author: string;
}

export interface AppsState {
  loading: boolean;
  error?: unknown;
  /** The last action's error, shown next to the app it was about. */
  actionError?: { name: string; error: unknown };
  catalog: CatalogEntry[];
  installed: AppListEntry[];
  load(): Promise<void>;
  install(name: string): Promise<void>;
  upgrade(installationId: string, version: string): Promise<void>;
  rollback(installationId: string): Promise<void>;
  uninstall(installationId: string): Promise<void>;
}

const POLL_MS = 800;

export const isBusy = (a: AppListEntry) => BUSY_STATES.has(a.state) || (a.progress !== undefined && !a.progress.done);

export const useApps = create<AppsState>()((set) => {
  let timer: ReturnType<typeof setTimeout> | undefined;

  const refreshInstalled = async () => {
    const installed = await useSession.getState().call('app_manager', 'list_apps', {});
    set({ installed });
    return installed;
  };

  /** While any app is busy, follow it; stops by itself when all are settled. */
  const follow = () => {
    if (timer) return;
    const tick = async () => {
      timer = undefined;
      try {
        const installed = await refreshInstalled();
        if (installed.some(isBusy)) timer = setTimeout(tick, POLL_MS);
      } catch {
        timer = setTimeout(tick, POLL_MS * 4);
      }
    };
    timer = setTimeout(tick, POLL_MS);
  };

  const act = async (name: string, run: () => Promise<unknown>) => {
    set({ actionError: undefined });
    try {
      await run();
      await refreshInstalled();
      follow();
    } catch (error) {
      set({ actionError: { name, error } });
    }
  };

  return {
    loading: true,
    catalog: [],
    installed: [],

    async load() {
      const { call } = useSession.getState();
      set({ loading: true, error: undefined });
      try {
        const [list, installed] = await Promise.all([call('repo', 'list', {}), call('app_manager', 'list_apps', {})]);
        const catalog = await Promise.all(list.map(async (e): Promise<CatalogEntry> => {
          const versions = e.ready_versions.length ? e.ready_versions : e.versions;
          let description: string | undefined;
          try {
            description = (await call('repo', 'get_meta', { id: `${e.name}#${e.latest}` })).meta.description;
          } catch { /* the library still lists it without a description */ }
          return { name: e.name, latest: e.latest, versions, description, author: e.author };
        }));
        set({ loading: false, catalog, installed });
        if (installed.some(isBusy)) follow();
      } catch (error) {
        set({ loading: false, error });
      }
    },

    install: (name) => act(name, () => useSession.getState().call('app_manager', 'install_app', { name })),
    upgrade: (id, version) => act(id, () => useSession.getState().call('app_manager', 'upgrade_app', { installation_id: id, version })),
    rollback: (id) => act(id, () => useSession.getState().call('app_manager', 'rollback_app', { installation_id: id })),
    uninstall: (id) => act(id, () => useSession.getState().call('app_manager', 'uninstall_app', { installation_id: id })),
  };
});
