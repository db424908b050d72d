// The Apps screen's state: the zone's library (repo), the installed apps with any running task
// (app-manager keeps it, so a reload shows the same progress), and the owner's intents.
import { create } from 'zustand';
import type { AppListEntry } from '../../../../kernel/api/app-manager';
import type { LogEntry } from '../../../../kernel/api/control-panel-ops';
import type { Reason } from '../../../../kernel/api/scheduler';
import { PanelError } from '../../api/krpc';
import { useSession } from '../../stores/session';
import { readPkgFile } from './pkg-file';
import { BUSY_STATES } from './progress';
import { uploadPkg } from './upload';

export interface CatalogEntry {
  name: string;
  latest: string;
  versions: string[];
  description?: string;
  /** data: URL from the pkg meta; the screen draws a default without it */
  icon?: string;
  author: string;
}

/** A device the owner may choose to install on. */
export interface DeviceChoice { name: string; ready: boolean }

export interface AppLog {
  loading: boolean;
  entries?: LogEntry[];
  node?: string;
  error?: unknown;
}

/** Publishing a dropped package: the phases the owner sees, with bytes while it is sent. */
export interface PublishState {
  phase: 'reading' | 'sending' | 'checking' | 'done' | 'failed';
  fileName: string;
  name?: string;
  version?: string;
  sent: number;
  total: number;
  error?: unknown;
  /** the same release was already in the library */
  already?: boolean;
}

export interface AppsState {
  loading: boolean;
  error?: unknown;
  /** The last action's error, shown next to the app it was about. */
  actionError?: { name: string; error: unknown };
  catalog: CatalogEntry[];
  installed: AppListEntry[];
  /** installation id → where its instances run and the scheduler's reason (when the owner may read it) */
  placements: Record<string, { node: string; reason: Reason }[]>;
  devices: DeviceChoice[];
  logs: Record<string, AppLog>;
  publish?: PublishState;
  load(): Promise<void>;
  /** `node`: the device the owner chose; absent: the scheduler chooses. */
  install(name: string, node?: string): Promise<void>;
  loadLog(installationId: string): Promise<void>;
  closeLog(installationId: string): void;
  publishFile(file: File): Promise<void>;
  /** Looks again every few seconds while the screen is open (an app may stop at any time); returns the stop. */
  watch(): () => void;
  clearPublish(): void;
  upgrade(installationId: string, version: string): Promise<void>;
  rollback(installationId: string): Promise<void>;
  uninstall(installationId: string): Promise<void>;
}

const POLL_MS = 800;
const WATCH_MS = 4000;

export const isBusy = (a: AppListEntry) => BUSY_STATES.has(a.state) || (a.progress !== undefined && !a.progress.done);

export const useApps = create<AppsState>()((set, get) => {
  let timer: ReturnType<typeof setTimeout> | undefined;

  /** Where each app runs and why; a person who may not read the zone overview simply sees no reason. */
  const refreshPlacements = async () => {
    try {
      const o = await useSession.getState().call('control-panel', 'zone.overview', {});
      const placements: AppsState['placements'] = {};
      for (const a of o.apps) placements[a.id.split('@')[0]] = a.instances ?? [];
      set({ placements, devices: o.nodes.map((n) => ({ name: n.name, ready: n.status === 'ready' })) });
    } catch { /* not visible with this sign-in */ }
  };

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
        else void refreshPlacements();
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
    placements: {},
    devices: [],
    logs: {},

    async load() {
      const { call } = useSession.getState();
      set({ loading: true, error: undefined });
      try {
        const [list, installed] = await Promise.all([call('repo', 'list', {}), call('app_manager', 'list_apps', {})]);
        const catalog = await Promise.all(list.map(async (e): Promise<CatalogEntry> => {
          const versions = e.ready_versions.length ? e.ready_versions : e.versions;
          let description: string | undefined;
          let icon: string | undefined;
          try {
            const { meta } = await call('repo', 'get_meta', { id: `${e.name}#${e.latest}` });
            description = meta.description;
            icon = meta.icon;
          } catch { /* the library still lists it, with the default picture */ }
          return { name: e.name, latest: e.latest, versions, description, icon, author: e.author };
        }));
        set({ loading: false, catalog, installed });
        await refreshPlacements();
        if (installed.some(isBusy)) follow();
      } catch (error) {
        set({ loading: false, error });
      }
    },

    install: (name, node) => act(name, () => useSession.getState().call('app_manager', 'install_app', { name, ...(node && { node }) })),

    async loadLog(id) {
      set((s) => ({ logs: { ...s.logs, [id]: { ...s.logs[id], loading: true, error: undefined } } }));
      try {
        const r = await useSession.getState().call('control-panel', 'system.logs.tail', { service: id, limit: 40 });
        set((s) => ({ logs: { ...s.logs, [id]: { loading: false, entries: r.entries, node: r.node } } }));
      } catch (error) {
        set((s) => ({ logs: { ...s.logs, [id]: { loading: false, error } } }));
      }
    },

    closeLog(id) {
      set((s) => {
        const { [id]: _closed, ...rest } = s.logs;
        return { logs: rest };
      });
    },

    async publishFile(file) {
      const base: PublishState = { phase: 'reading', fileName: file.name, sent: 0, total: file.size };
      set({ publish: base });
      const facts = await readPkgFile(file).catch(() => undefined);
      if (!facts) {
        set({ publish: { ...base, phase: 'failed', error: new PanelError('INVALID_PARAMS', `${file.name} is not an app package (.pkg)`) } });
        return;
      }
      const named = { ...base, name: facts.name, version: facts.version };
      set({ publish: { ...named, phase: 'sending' } });
      try {
        // Make sure the session token is fresh before a long upload (the call refreshes it if needed).
        await useSession.getState().call('repo', 'stats', {}).catch(() => undefined);
        const result = await uploadPkg(file, facts.name, useSession.getState().sessionToken, (sent, total) => {
          set({ publish: { ...named, phase: sent >= total ? 'checking' : 'sending', sent, total } });
        });
        set({ publish: { ...named, phase: 'done', sent: file.size, already: result.already_published } });
        await get().load();
      } catch (error) {
        set({ publish: { ...named, phase: 'failed', error } });
      }
    },

    clearPublish: () => set({ publish: undefined }),

    watch() {
      const every = setInterval(() => {
        if (timer || get().loading) return; // a busy app is followed faster already
        void refreshInstalled().then((installed) => { if (installed.some(isBusy)) follow(); }, () => undefined);
      }, WATCH_MS);
      return () => clearInterval(every);
    },
    upgrade: (id, version) => act(id, () => useSession.getState().call('app_manager', 'upgrade_app', { installation_id: id, version })),
    rollback: (id) => act(id, () => useSession.getState().call('app_manager', 'rollback_app', { installation_id: id })),
    uninstall: (id) => act(id, () => useSession.getState().call('app_manager', 'uninstall_app', { installation_id: id })),
  };
});
