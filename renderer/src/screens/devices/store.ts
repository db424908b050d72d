// The Devices screen's state: the zone's devices and the approval delegation (control-panel
// `device.list`), what a LAN scan found (`device.scan`), and the owner's actions: approve (`device.approve`,
// signed by the main server under the owner's enrolment delegation), remove (`device.remove`), and give
// that delegation with the recovery words (`device.delegation` → signed in this page by the owner kit →
// `device.delegate`). Everything is read and done with the owner's own session.
import { create } from 'zustand';
import type {
  DelegationStatus, DeviceApproveParams, DeviceApproveResult, DeviceRemoveParams, DeviceRemoveResult, DiscoveredDevice, ZoneDevice,
} from '../../../../kernel/api/devices';
import { loadOwnerKit } from '../../api/owner-kit';
import { useSession } from '../../stores/session';

const PANEL = 'control-panel';

export interface DevicesState {
  loading: boolean;
  error?: unknown;
  devices: ZoneDevice[];
  /** Whether the main server may approve devices without the recovery words (undefined until loaded). */
  delegation?: DelegationStatus;
  scanning: boolean;
  scanError?: unknown;
  found: DiscoveredDevice[];
  scannedAt?: number;
  load(): Promise<void>;
  scan(): Promise<void>;
  approve(params: DeviceApproveParams): Promise<DeviceApproveResult>;
  remove(params: DeviceRemoveParams): Promise<DeviceRemoveResult>;
  /** Signs the main server's delegation request with the owner key from `mnemonic` (in this page) and hands it over. */
  delegate(mnemonic: string): Promise<DelegationStatus>;
  /** Withdraws that permission: it goes on the revocation list; adding a device needs the words again. */
  withdrawDelegation(): Promise<DelegationStatus>;
}

export const useDevices = create<DevicesState>()((set, get) => ({
  loading: true,
  devices: [],
  scanning: false,
  found: [],

  async load() {
    set({ loading: get().devices.length === 0, error: undefined });
    try {
      const r = await useSession.getState().call(PANEL, 'device.list', {});
      set({ loading: false, devices: sortDevices(r.devices), delegation: r.delegation });
    } catch (error) {
      set({ loading: false, error });
    }
  },

  async scan() {
    set({ scanning: true, scanError: undefined });
    try {
      const r = await useSession.getState().call(PANEL, 'device.scan', { wait_ms: 1500 });
      set({ scanning: false, found: r.devices, scannedAt: r.scanned_at });
    } catch (scanError) {
      set({ scanning: false, scanError });
    }
  },

  async approve(params) {
    const r = await useSession.getState().call(PANEL, 'device.approve', params);
    set({ found: get().found.filter((d) => d.fingerprint !== r.fingerprint) });
    void get().load();
    return r;
  },

  async remove(params) {
    const r = await useSession.getState().call(PANEL, 'device.remove', params);
    set({ devices: get().devices.filter((d) => d.name !== params.name) });
    void get().load();
    return r;
  },

  async delegate(mnemonic) {
    const { call } = useSession.getState();
    const kit = await loadOwnerKit();
    // A fresh request each time: it names the main server's current key and a one-year lifetime.
    const status = await call(PANEL, 'device.delegation', {});
    const jwt = kit.signEnrolmentDelegation(kit.normalizeMnemonic(mnemonic), status.request, status.delegate_key.x);
    const after = await call(PANEL, 'device.delegate', { delegation_jwt: jwt });
    set({ delegation: after });
    return after;
  },

  async withdrawDelegation() {
    const after = await useSession.getState().call(PANEL, 'device.revoke_delegation', {});
    set({ delegation: after });
    return after;
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
