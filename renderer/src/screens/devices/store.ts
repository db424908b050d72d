// The Devices screen's state: the zone's devices (control-panel `device.list`; on a kernel without it,
// built from `zone.overview` and each device's own report in devices/<name>/info), what a LAN scan found,
// and the owner's actions (approve, remove). Everything is read and done with the owner's own session.
import { create } from 'zustand';
import type {
  DeviceApproveParams, DeviceApproveResult, DeviceRemoveParams, DeviceRemoveResult, DeviceScanResult, DevicesMethods, DiscoveredDevice, ZoneDevice,
} from '../../../../kernel/api/devices';
import type { DeviceInstance } from '../../../../kernel/api/devices';
import type { DeviceInfo } from '../../../../kernel/api/identity';
import type { NodeConfig } from '../../../../kernel/api/zone';
import { PanelError } from '../../api/krpc';
import { useSession } from '../../stores/session';

type Result<M extends keyof DevicesMethods> = DevicesMethods[M]['result'];
const PANEL = 'control-panel';

/** Seconds since the last report after which a device that never said goodbye counts as offline. */
export const OFFLINE_AFTER_S = 60;

/** A kernel that does not serve the method yet answers UNKNOWN_METHOD (or the gateway NOT_FOUND). */
const notServed = (e: unknown) => e instanceof PanelError && (e.code === 'UNKNOWN_METHOD' || (e.code === 'NOT_FOUND' && /method/i.test(e.detail)));

/** What a kernel without `device.list` can still tell: the scheduler's nodes and each node's own report. */
async function devicesFromOverview(): Promise<ZoneDevice[]> {
  const { call } = useSession.getState();
  const overview = await call('control-panel', 'zone.overview', {});
  const now = Math.floor(Date.now() / 1000);
  return Promise.all(overview.nodes.map(async (n): Promise<ZoneDevice> => {
    let info: Partial<DeviceInfo> & { update_time?: number; all_ip?: string[]; sys_hostname?: string } = {};
    let config: Partial<NodeConfig> = {};
    const read = async (key: string) => {
      try {
        const r = await call('system_config', 'sys_config_get', { key });
        return r?.value ? (JSON.parse(r.value) as unknown) : undefined;
      } catch { return undefined; /* not readable: the row shows what the scheduler knows */ }
    };
    info = ((await read(`devices/${n.name}/info`)) ?? {});
    config = ((await read(`nodes/${n.name}/config`)) ?? {});
    const instances: DeviceInstance[] = [
      ...Object.entries(config.kernel ?? {}).map(([spec_id, c]) => ({ spec_id, kind: 'kernel' as const, target_state: c.target_state })),
      ...Object.entries(config.apps ?? {}).map(([spec_id, c]) => ({ spec_id, kind: 'app' as const, target_state: c.target_state })),
    ];
    const lastSeen = Number(info.update_time ?? 0);
    const state: ZoneDevice['state'] = n.status === 'gone' ? 'gone' : lastSeen === 0 ? 'registered' : now - lastSeen > OFFLINE_AFTER_S ? 'offline' : 'online';
    return {
      name: n.name, did: String(info.id ?? ''), device_type: n.type, is_ood: n.type === 'ood', state, status: n.status, reason: n.reason,
      last_seen: lastSeen, fingerprint: '', approved_by: 'owner',
      arch: info.arch, os: info.os, hostname: info.sys_hostname, ips: info.all_ip,
      cpu_info: info.cpu_info, cpu_num: info.cpu_num,
      total_mem: info.total_mem, mem_usage: info.mem_usage,
      instances,
    };
  }));
}

export interface DevicesState {
  loading: boolean;
  error?: unknown;
  devices: ZoneDevice[];
  /** `device.list` is served (else the list comes from zone.overview and pairing is not possible yet). */
  full: boolean;
  scanning: boolean;
  scanError?: unknown;
  found: DiscoveredDevice[];
  scannedAt?: number;
  load(): Promise<void>;
  scan(): Promise<void>;
  approve(params: DeviceApproveParams): Promise<DeviceApproveResult>;
  remove(params: DeviceRemoveParams): Promise<DeviceRemoveResult>;
}

export const useDevices = create<DevicesState>()((set, get) => ({
  loading: true,
  devices: [],
  full: true,
  scanning: false,
  found: [],

  async load() {
    const { callRaw } = useSession.getState();
    set({ loading: get().devices.length === 0, error: undefined });
    try {
      const r = await callRaw<Result<'device.list'>>(PANEL, 'device.list', {});
      set({ loading: false, devices: sortDevices(r.devices), full: true });
    } catch (e) {
      if (!notServed(e)) return set({ loading: false, error: e });
      try {
        set({ loading: false, devices: sortDevices(await devicesFromOverview()), full: false });
      } catch (error) {
        set({ loading: false, error });
      }
    }
  },

  async scan() {
    set({ scanning: true, scanError: undefined });
    try {
      const r = await useSession.getState().callRaw<DeviceScanResult>(PANEL, 'device.scan', { wait_ms: 1500 });
      set({ scanning: false, found: r.devices, scannedAt: r.scanned_at });
    } catch (scanError) {
      set({ scanning: false, scanError });
    }
  },

  async approve(params) {
    const r = await useSession.getState().callRaw<DeviceApproveResult>(PANEL, 'device.approve', params);
    set({ found: get().found.filter((d) => d.fingerprint !== r.fingerprint) });
    void get().load();
    return r;
  },

  async remove(params) {
    const r = await useSession.getState().callRaw<DeviceRemoveResult>(PANEL, 'device.remove', params);
    set({ devices: get().devices.filter((d) => d.name !== params.name) });
    void get().load();
    return r;
  },
}));

/** The main server first, then by name. */
export function sortDevices(list: ZoneDevice[]): ZoneDevice[] {
  return [...list].sort((a, b) => Number(b.is_ood) - Number(a.is_ood) || a.name.localeCompare(b.name));
}

/** "just now", "5 min ago", "3 h ago", "2 days ago" as an i18n key and count; never seen → undefined. */
export function lastSeenAgo(lastSeen: number, now: number): { key: string; count: number } | undefined {
  if (!lastSeen) return undefined;
  const s = Math.max(0, now - lastSeen);
  if (s < 60) return { key: 'devices.ago.now', count: 0 };
  if (s < 3600) return { key: 'devices.ago.minutes', count: Math.floor(s / 60) };
  if (s < 86_400) return { key: 'devices.ago.hours', count: Math.floor(s / 3600) };
  return { key: 'devices.ago.days', count: Math.floor(s / 86_400) };
}

/** A used/total pair as a 0..1 fraction, or undefined when either is unknown. */
export function fraction(used: number | undefined, total: number | undefined): number | undefined {
  if (used === undefined || total === undefined || !(total > 0)) return undefined;
  return Math.min(1, Math.max(0, used / total));
}

/** Bytes for people: 512 MB, 7.8 GB. */
export function formatSize(bytes: number | undefined, lang: string): string {
  if (bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: v < 10 && i > 0 ? 1 : 0 }).format(v)} ${units[i]}`;
}
