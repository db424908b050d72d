// System settings: the zone's KV tree as the signed-in person may see it, loaded one level at a time
// through control-panel's sys_config.* (the caller's own token: the kernel's RBAC decides, and secrets
// never reach the page), kept live by sys_config.watch.
import { create } from 'zustand';
import type { SysConfigValue } from '../../../../kernel/api/control-panel-ops';
import { useSession } from '../../stores/session';
import { childKey, parentKey } from './tree';

export interface FolderState {
  open: boolean;
  loading: boolean;
  children?: string[];
  error?: unknown;
}

export interface ValueState {
  loading: boolean;
  entry?: SysConfigValue;
  error?: unknown;
  /** ms since the epoch when the watch last saw this key change */
  changedAt?: number;
  /** The owner saved this value from the page (kept here so a re-render or live update keeps the notice). */
  savedByOwner?: boolean;
}

export interface SettingsState {
  folders: Record<string, FolderState>;
  values: Record<string, ValueState>;
  selected?: string;
  /** The watch is following changes (false while it reconnects). */
  live: boolean;
  loadRoot(): Promise<void>;
  toggle(key: string): Promise<void>;
  select(key: string): Promise<void>;
  readValue(key: string, changed?: boolean): Promise<void>;
  markSaved(key: string, saved: boolean): void;
  listFolder(key: string): Promise<void>;
  startWatch(): () => void;
}

const WATCH_MS = 25_000;
const RETRY_MS = 3000;

export const useSettings = create<SettingsState>()((set, get) => ({
  folders: {},
  values: {},
  live: false,

  /** The tree from the top; also after the kernel comes back: every open folder again, and a value that failed. */
  async loadRoot() {
    set((s) => ({ folders: { ...s.folders, '': { ...s.folders[''], open: true, loading: true } } }));
    const { folders, selected, values } = get();
    const open = Object.keys(folders).filter((k) => k !== '' && folders[k].open);
    await Promise.all([
      get().listFolder(''),
      ...open.map((k) => get().listFolder(k)),
      ...(selected !== undefined && values[selected]?.error !== undefined ? [get().readValue(selected)] : []),
    ]);
  },

  async listFolder(key) {
    const call = useSession.getState().call;
    set((s) => ({ folders: { ...s.folders, [key]: { ...s.folders[key], open: s.folders[key]?.open ?? true, loading: true, error: undefined } } }));
    try {
      const { items } = await call('control-panel', 'sys_config.list', { key });
      set((s) => ({ folders: { ...s.folders, [key]: { ...s.folders[key], open: s.folders[key]?.open ?? true, loading: false, children: items } } }));
    } catch (error) {
      set((s) => ({ folders: { ...s.folders, [key]: { ...s.folders[key], open: true, loading: false, error } } }));
    }
  },

  async toggle(key) {
    const f = get().folders[key];
    if (f?.open) {
      set((s) => ({ folders: { ...s.folders, [key]: { ...f, open: false } } }));
      return;
    }
    set((s) => ({ folders: { ...s.folders, [key]: { ...f, loading: f?.loading ?? true, open: true } } }));
    await Promise.all([get().listFolder(key), get().select(key)]);
  },

  async select(key) {
    set({ selected: key });
    if (!get().values[key]?.entry) await get().readValue(key);
  },

  async readValue(key, changed = false) {
    const call = useSession.getState().call;
    set((s) => ({ values: { ...s.values, [key]: { ...s.values[key], loading: true, error: undefined } } }));
    try {
      const entry = await call('control-panel', 'sys_config.get', { key });
      set((s) => ({ values: { ...s.values, [key]: { loading: false, entry, changedAt: changed ? Date.now() : s.values[key]?.changedAt, savedByOwner: s.values[key]?.savedByOwner } } }));
    } catch (error) {
      set((s) => ({ values: { ...s.values, [key]: { loading: false, error } } }));
    }
  },

  markSaved(key, saved) {
    set((s) => ({ values: { ...s.values, [key]: { ...s.values[key], loading: s.values[key]?.loading ?? false, savedByOwner: saved } } }));
  },

  startWatch() {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const call = useSession.getState().call;
    /** After lost history (or a reconnect): read again what is on screen, also what failed meanwhile. */
    const reloadVisible = () => {
      const { folders, values, selected } = get();
      for (const [key, f] of Object.entries(folders)) if (f.open) void get().listFolder(key);
      if (selected !== undefined && values[selected]) void get().readValue(selected);
    };
    const loop = async (revision: number | undefined, afterOutage = false) => {
      if (stopped) return;
      try {
        const r = await call('control-panel', 'sys_config.watch', { key: '', revision: revision ?? 0, timeout_ms: revision === undefined ? 0 : WATCH_MS }, { timeoutMs: WATCH_MS + 15_000 });
        if (stopped) return;
        if (!get().live) set({ live: true });
        if (afterOutage) reloadVisible();
        if (revision !== undefined) {
          if ('compacted' in r) reloadVisible();
          else {
            const relist = new Set<string>();
            for (const c of r.changes) {
              if (get().values[c.key]) void get().readValue(c.key, true);
              const parent = parentKey(c.key);
              const children = get().folders[parent]?.children;
              const name = c.key.slice(parent ? parent.length + 1 : 0);
              if (children && (c.deleted || !children.includes(name))) relist.add(parent);
            }
            for (const p of relist) void get().listFolder(p);
          }
        }
        void loop(r.revision);
      } catch {
        if (stopped) return;
        set({ live: false });
        // The kernel may be restarting: look again in a moment, and read the screen afresh once it
        // answers (not before: a listing that fails meanwhile would replace the tree with an error).
        timer = setTimeout(() => void loop(undefined, true), RETRY_MS);
      }
    };
    void loop(undefined);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      set({ live: false });
    };
  },
}));

export { childKey };
