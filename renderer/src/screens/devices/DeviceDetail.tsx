// One device's page: its state in words, what it is, how busy it is, what runs on it, the technical facts
// in a fold, and "Remove this device" with a confirm that spells out the consequence and asks whether the
// device keeps or erases its files.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ZoneDevice } from '../../../../kernel/api/devices';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { appName, archLabel, LastSeen, osLabel, sortIps, StateBadge, Usage } from './DevicesScreen';
import { useDevices } from './store';
import { LIST_PATH } from './useSubPath';

export function DeviceDetail({ name }: { name: string }) {
  const { t } = useTranslation();
  const { devices, loading, error, load } = useDevices();
  const [removed, setRemoved] = useState<string>();
  const device = devices.find((d) => d.name === name);

  return (
    <div data-screen="device" data-device-page={name} className="devices-page">
      <a className="back-link" href={LIST_PATH}>← {t('devices.detail.back')}</a>
      <div className="topbar">
        <h1 tabIndex={-1}>{name}</h1>
        {device && <div className="device-meta"><StateBadge device={device} />{device.is_ood && <span className="badge badge-muted">{t('devices.mainServer')}</span>}</div>}
      </div>
      {removed && <div className="notice notice-ok" role="status" data-removed><p>{t('devices.remove.done', { name: removed })}</p></div>}
      {error !== undefined && <ErrorNotice error={error} onRetry={() => void load()} />}
      {!device && !removed && (loading ? <p className="muted" role="status">{t('devices.loadingList')}</p>
        : <div className="notice notice-warn" role="status"><p>{t('devices.detail.notFound', { name })}</p></div>)}
      {device && !removed && <DeviceBody device={device} onRemoved={() => setRemoved(device.name)} />}
    </div>
  );
}

function DeviceBody({ device, onRemoved }: { device: ZoneDevice; onRemoved: () => void }) {
  const { t } = useTranslation();
  const apps = device.instances.filter((i) => i.kind === 'app' && i.target_state !== 'deleted');
  const kernel = device.instances.filter((i) => i.kind === 'kernel');
  return (
    <div className="stack">
      <p data-state-hint>{t(`devices.stateHint.${device.state}`)} <span className="muted"><LastSeen device={device} /></span></p>
      <div className="two-col">
        <section className="card" aria-labelledby="about-title">
          <h2 id="about-title">{t('devices.detail.about')}</h2>
          <dl className="facts">
            <dt>{t('devices.detail.system')}</dt><dd>{archLabel(t, device.arch)}{device.os ? ` · ${osLabel(device.os)}` : ''}</dd>
            {device.hostname && <><dt>{t('devices.detail.hostname')}</dt><dd>{device.hostname}</dd></>}
            {device.ips && device.ips.length > 0 && <><dt>{t('devices.detail.address')}</dt><dd>{sortIps(device.ips).join(', ')}</dd></>}
            {(device.cpu_info || device.cpu_num) && <><dt>{t('devices.cpu')}</dt><dd>{[device.cpu_info, device.cpu_num ? t('devices.cores', { count: device.cpu_num }) : ''].filter(Boolean).join(' · ')}</dd></>}
            {!device.is_ood && <><dt>{t('devices.detail.addedWith')}</dt><dd>{t(device.approved_by === 'delegation' ? 'devices.detail.addedDelegation' : 'devices.detail.addedOwner')}</dd></>}
          </dl>
          <div style={{ marginTop: 'var(--space-4)' }}><Usage device={device} /></div>
        </section>
        <section className="card" aria-labelledby="runs-title">
          <h2 id="runs-title">{t('devices.runs')}</h2>
          {apps.length === 0 ? <p className="muted">{t('devices.runsNothing')}</p> : (
            <ul className="list" data-apps>
              {apps.map((a) => (
                <li key={a.spec_id} data-app={appName(a.spec_id)}>
                  <strong style={{ flex: 1 }}>{appName(a.spec_id)}</strong>
                  <span className="muted">{instanceState(t, a.state ?? a.target_state)}</span>
                </li>
              ))}
            </ul>
          )}
          {kernel.length > 0 && <p className="muted" style={{ marginTop: 'var(--space-3)' }}>{t('devices.systemParts', { count: kernel.length })}</p>}
        </section>
      </div>
      <details>
        <summary>{t('devices.detail.technical')}</summary>
        <dl className="facts" style={{ marginTop: 'var(--space-2)' }}>
          <dt>{t('devices.detail.did')}</dt><dd className="code-text">{device.did || '—'}</dd>
          {device.fingerprint && <><dt>{t('devices.detail.fingerprint')}</dt><dd className="code-text">{device.fingerprint}</dd></>}
          <dt>{t('devices.detail.type')}</dt><dd>{device.device_type}</dd>
          {device.status && <><dt>{t('devices.detail.scheduler')}</dt><dd>{device.status}{device.reason ? ` — ${device.reason.code}: ${device.reason.detail}` : ''}</dd></>}
          {kernel.length > 0 && <><dt>{t('devices.detail.kernel')}</dt><dd>{kernel.map((k) => k.spec_id).join(', ')}</dd></>}
        </dl>
      </details>
      {device.is_ood ? <p className="muted">{t('devices.remove.mainServer')}</p> : <RemoveDevice device={device} onRemoved={onRemoved} />}
    </div>
  );
}

function instanceState(t: (k: string, v?: Record<string, string>) => string, state: string): string {
  return ['running', 'started', 'stopped', 'deleted', 'failed'].includes(state) ? t(`devices.detail.appState.${state}`) : t('devices.detail.appState.other', { state });
}

function RemoveDevice({ device, onRemoved }: { device: ZoneDevice; onRemoved: () => void }) {
  const { t } = useTranslation();
  const remove = useDevices((s) => s.remove);
  const [open, setOpen] = useState(false);
  const [wipe, setWipe] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  if (!open) return <div><Button kind="danger" onClick={() => setOpen(true)} data-action="remove-device">{t('devices.remove.button')}</Button></div>;
  return (
    <section className="notice notice-warn" role="alertdialog" aria-labelledby="remove-title" aria-describedby="remove-consequence" data-confirm="remove">
      <h2 id="remove-title" style={{ fontSize: 'var(--text-l)' }}>{t('devices.remove.title', { name: device.name })}</h2>
      <p id="remove-consequence">{t('devices.remove.consequence', { name: device.name })}</p>
      <fieldset>
        <legend className="sr-only">{t('devices.remove.title', { name: device.name })}</legend>
        <label className="choice">
          <input type="radio" name="wipe" checked={!wipe} onChange={() => setWipe(false)} data-choice="keep" />
          <span><strong>{t('devices.remove.keep')}</strong><br /><span className="muted">{t('devices.remove.keepHint')}</span></span>
        </label>
        <label className="choice">
          <input type="radio" name="wipe" checked={wipe} onChange={() => setWipe(true)} data-choice="wipe" />
          <span><strong>{t('devices.remove.wipe')}</strong><br /><span className="muted">{t('devices.remove.wipeHint')}</span></span>
        </label>
      </fieldset>
      {error !== undefined && <ErrorNotice error={error} />}
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
        <Button kind="danger" disabled={busy} data-action="confirm-remove" onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await remove({ name: device.name, wipe });
            onRemoved();
          } catch (e) {
            setError(e);
          } finally {
            setBusy(false);
          }
        }}>{busy ? t('devices.remove.removing') : t('devices.remove.confirm', { name: device.name })}</Button>
        <Button kind="quiet" onClick={() => setOpen(false)}>{t('common.cancel')}</Button>
      </div>
    </section>
  );
}
