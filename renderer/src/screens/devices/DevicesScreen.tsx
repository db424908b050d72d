// Devices: every device of the home cloud with its state, when it was last seen, its type, how busy it
// is and what runs on it; devices waiting on the LAN can be added from right here (Home → Devices →
// Add… → Add to my home cloud: three clicks). #/devices/d/<name> is a device's page, #/devices/add
// the add page (LAN, QR by camera / picture / paste, and a QR that opens this home cloud on a phone).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ZoneDevice } from '../../../../kernel/api/devices';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ProgressBar } from '../../components/ProgressBar';
import { useSession } from '../../stores/session';
import { AddDevicePage, FoundOnNetwork } from './AddDevice';
import { DelegationInForce, DelegationNotice } from './Delegation';
import { DeviceDetail } from './DeviceDetail';
import { fraction, formatSize, lastSeenAgo, useDevices } from './store';
import { ADD_PATH, devicePath, useSubPath } from './useSubPath';
import './devices.css';

const REFRESH_MS = 10_000;

export default function DevicesScreen() {
  const sub = useSubPath();
  const load = useDevices((s) => s.load);
  const reachable = useSession((s) => s.reachable);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [load, reachable]);
  // Each sub-page starts at the top with its heading focused (screen readers announce the change).
  useEffect(() => { document.querySelector<HTMLElement>('[data-screen] h1')?.focus(); }, [sub]);

  if (sub === 'add') return <AddDevicePage />;
  if (sub.startsWith('d/')) return <DeviceDetail name={decodeURIComponent(sub.slice(2))} />;
  return <DeviceList />;
}

function DeviceList() {
  const { t } = useTranslation();
  const { loading, error, devices, load } = useDevices();
  return (
    <div data-screen="devices" className="devices-page">
      <div className="topbar">
        <h1 tabIndex={-1}>{t('devices.title')}</h1>
        <div className="actions" style={{ marginTop: 0 }}>
          <Button onClick={() => void load()} disabled={loading}>{t('common.refresh')}</Button>
          <a className="btn btn-primary" href={ADD_PATH} data-action="add-device">{t('devices.add')}</a>
        </div>
      </div>
      <p className="muted">{t('devices.intro')}</p>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => void load()} />}
      <DelegationNotice />
      <FoundOnNetwork compact />
      <section className="card" aria-labelledby="device-list-title">
        <h2 id="device-list-title" className="sr-only">{t('devices.title')}</h2>
        {loading && devices.length === 0 ? <p className="muted" role="status">{t('devices.loadingList')}</p> : (
          <ul className="list" data-list="devices">
            {devices.map((d) => <DeviceRow key={d.name} device={d} />)}
          </ul>
        )}
        {!loading && devices.length <= 1 && error === undefined && (
          <p className="muted" data-empty="devices" style={{ marginTop: 'var(--space-3)' }}>{t('devices.onlyMain')}</p>
        )}
      </section>
      <DelegationInForce />
    </div>
  );
}

/** Online / offline / … with a dot and a word: never colour alone. */
export function StateBadge({ device }: { device: ZoneDevice }) {
  const { t } = useTranslation();
  const badge = { online: 'badge-ok', offline: 'badge-bad', registered: 'badge-warn', gone: 'badge-bad' }[device.state];
  return (
    <span className={`badge ${badge}`} data-state={device.state}>
      <span className={`state-dot state-${device.state}`} aria-hidden="true" />
      {t(`devices.state.${device.state}`)}
    </span>
  );
}

export function LastSeen({ device }: { device: ZoneDevice }) {
  const { t } = useTranslation();
  const [now, setNow] = useState(() => Math.floor(Date.now() / 1000));
  useEffect(() => {
    const timer = setInterval(() => setNow(Math.floor(Date.now() / 1000)), 15_000);
    return () => clearInterval(timer);
  }, []);
  const ago = lastSeenAgo(device.last_seen, now);
  return <span>{ago ? t('devices.lastSeen', { ago: t(ago.key, { count: ago.count }) }) : t('devices.neverSeen')}</span>;
}

const OS_NAMES: Record<string, string> = { linux: 'Linux', windows: 'Windows', macos: 'macOS' };
export const osLabel = (os: string | undefined) => (os ? OS_NAMES[os] ?? os : undefined);

/** IPv4 first, link-local last: the address an owner would type comes first. */
export function sortIps(ips: string[]): string[] {
  const rank = (ip: string) => (/^\d+\.\d+\.\d+\.\d+$/.test(ip) ? 0 : /^fe80:/i.test(ip) ? 2 : 1);
  return [...ips].sort((a, b) => rank(a) - rank(b));
}

export function archLabel(t: (k: string) => string, arch: string | undefined): string {
  return arch === 'amd64' || arch === 'aarch64' ? t(`devices.arch.${arch}`) : arch ?? t('devices.arch.unknown');
}

export function Usage({ device }: { device: ZoneDevice }) {
  const { t, i18n } = useTranslation();
  const rows: { what: string; value?: number; text: string }[] = [];
  if (device.cpu_usage !== undefined) {
    // A fraction (0..1) or a percentage, whichever the device reports.
    const cpu = device.cpu_usage <= 1 ? device.cpu_usage : device.cpu_usage / 100;
    rows.push({ what: t('devices.cpu'), value: cpu,
      text: [`${Math.round(cpu * 100)} %`, device.cpu_num ? t('devices.cores', { count: device.cpu_num }) : ''].filter(Boolean).join(' · ') });
  }
  const mem = fraction(device.mem_usage, device.total_mem);
  if (device.total_mem !== undefined) rows.push({ what: t('devices.memory'), value: mem, text: t('devices.used', { used: formatSize(device.mem_usage, i18n.language), total: formatSize(device.total_mem, i18n.language) }) });
  const disk = fraction(device.disk_usage, device.total_space);
  if (device.total_space !== undefined) rows.push({ what: t('devices.disk'), value: disk, text: t('devices.used', { used: formatSize(device.disk_usage, i18n.language), total: formatSize(device.total_space, i18n.language) }) });
  if (rows.length === 0) return null;
  return (
    <div className="usage">
      {rows.map((r) => (
        <div key={r.what} style={{ display: 'contents' }}>
          <span>{r.what}</span>
          {r.value !== undefined ? <ProgressBar value={r.value} label={t('devices.usageOf', { what: r.what, name: device.name })} /> : <span className="muted">{r.text}</span>}
          {r.value !== undefined && <span className="value">{r.text}</span>}
        </div>
      ))}
    </div>
  );
}

/** The apps a device runs (system services counted, not listed: the owner did not install them). */
export function Runs({ device }: { device: ZoneDevice }) {
  const { t } = useTranslation();
  const apps = device.instances.filter((i) => i.kind === 'app' && i.target_state !== 'deleted');
  const kernel = device.instances.filter((i) => i.kind === 'kernel').length;
  return (
    <div data-runs={apps.length}>
      <span style={{ fontSize: 'var(--text-s)' }}>{t('devices.runs')}</span>
      {apps.length === 0 ? <div className="muted">{t('devices.runsNothing')}</div> : (
        <div className="runs">{apps.map((a) => <span key={a.spec_id} className="chip">{appName(a.spec_id)}</span>)}</div>
      )}
      {kernel > 0 && <div className="muted" style={{ fontSize: 'var(--text-s)' }}>{t('devices.systemParts', { count: kernel })}</div>}
    </div>
  );
}

/** "notes@alice" → "notes" */
export const appName = (specId: string) => specId.split('@')[0];

function DeviceRow({ device }: { device: ZoneDevice }) {
  const { t } = useTranslation();
  return (
    <li data-device={device.name} data-state={device.state} className="device-row">
      <div>
        <a className="device-name" href={devicePath(device.name)} aria-label={t('devices.open', { name: device.name })}>{device.name}</a>
        <div className="device-meta" style={{ marginTop: 'var(--space-1)' }}>
          <StateBadge device={device} />
          {device.is_ood && <span className="badge badge-muted">{t('devices.mainServer')}</span>}
        </div>
        <div className="device-meta" style={{ marginTop: 'var(--space-1)' }}>
          <LastSeen device={device} />
          <span>{archLabel(t, device.arch)}</span>
        </div>
      </div>
      <Usage device={device} />
      <Runs device={device} />
    </li>
  );
}
