// Apps: what is installed (with live progress, where it runs and why, the plain-words rollback note,
// open / update / go back / log / uninstall) and the zone's library (install in one click, on the
// device the scheduler picks or one the owner chooses; publish a package by dropping it).
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppListEntry } from '../../../../kernel/api/app-manager';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ProgressBar } from '../../components/ProgressBar';
import { kernelOrigin } from '../../api/krpc';
import { placementWhy } from './placement';
import { formatBytes, phaseKey, rollbackSentence, taskFraction, updateChoices } from './progress';
import { isBusy, useApps, type CatalogEntry } from './store';
import './apps.css';

const STATE_BADGE: Record<string, string> = { running: 'badge-ok', 'rolled-back': 'badge-warn', failed: 'badge-bad', failing: 'badge-bad', stopped: 'badge-muted' };
const TROUBLE = new Set(['failed', 'failing']);
/** States in which the app answers (after going back it runs the previous version). */
const RUNS = new Set(['running', 'rolled-back']);

export default function AppsScreen() {
  const { t } = useTranslation();
  const { loading, error, catalog, installed, load, watch } = useApps();
  useEffect(() => { void load(); }, [load]);
  useEffect(() => watch(), [watch]);
  const installedNames = new Set(installed.map((a) => a.name));
  const library = catalog.filter((c) => !installedNames.has(c.name));
  const nothingLoaded = error !== undefined && catalog.length === 0 && installed.length === 0;

  return (
    <div data-screen="apps">
      <div className="topbar">
        <h1>{t('apps.title')}</h1>
        <Button onClick={() => void load()} disabled={loading}>{t('common.refresh')}</Button>
      </div>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => void load()} />}
      {/* Nothing loaded because the kernel refused or failed: "no apps yet" would contradict the notice. */}
      {!nothingLoaded && <>
        <section aria-labelledby="installed-title" className="card" style={{ marginBottom: 'var(--space-5)' }}>
          <h2 id="installed-title">{t('apps.installed')}</h2>
          {loading && installed.length === 0 ? <p className="muted" role="status">{t('common.loading')}</p>
            : installed.length === 0 ? <p className="muted" data-empty="installed">{t('apps.noneInstalled')}</p>
            : <ul className="list">{installed.map((a) => <InstalledApp key={a.installation_id} app={a} catalog={catalog.find((c) => c.name === a.name)} />)}</ul>}
        </section>
        <section aria-labelledby="library-title" className="card">
          <h2 id="library-title">{t('apps.library')}</h2>
          {loading && catalog.length === 0 ? <p className="muted" role="status">{t('common.loading')}</p>
            : library.length === 0 ? <p className="muted" data-empty="library">{t(catalog.length === 0 ? 'apps.libraryEmpty' : 'apps.libraryAllInstalled')}</p>
            : <ul className="list">{library.map((c) => <LibraryApp key={c.name} entry={c} />)}</ul>}
          <PublishDrop />
        </section>
      </>}
    </div>
  );
}

/** The app's picture from its package, or a calm default: its first letter on a tile. */
function AppIcon({ name, icon }: { name: string; icon?: string }) {
  if (icon) return <img className="app-icon" src={icon} alt="" width={40} height={40} />;
  return <span className="app-icon app-icon-default" aria-hidden="true">{name.slice(0, 1).toUpperCase()}</span>;
}

function ActionError({ name }: { name: string }) {
  const actionError = useApps((s) => s.actionError);
  return actionError && actionError.name === name ? <ErrorNotice error={actionError.error} /> : null;
}

function LibraryApp({ entry }: { entry: CatalogEntry }) {
  const { t } = useTranslation();
  const install = useApps((s) => s.install);
  const devices = useApps((s) => s.devices);
  const [busy, setBusy] = useState(false);
  const [device, setDevice] = useState('');
  const ready = devices.filter((d) => d.ready);
  return (
    <li data-library-app={entry.name}>
      <AppIcon name={entry.name} icon={entry.icon} />
      <div style={{ flex: 1, minWidth: 0 }}>
        <strong>{entry.name}</strong> <span className="muted">{entry.latest}</span>
        {entry.description && <div className="muted">{entry.description}</div>}
        <ActionError name={entry.name} />
      </div>
      <div className="actions app-actions">
        {ready.length > 1 && (
          <>
            <label className="sr-only" htmlFor={`device-${entry.name}`}>{t('appsOps.deviceFor', { name: entry.name })}</label>
            <select id={`device-${entry.name}`} value={device} onChange={(e) => setDevice(e.target.value)} className="compact-select">
              <option value="">{t('appsOps.deviceAuto')}</option>
              {ready.map((d) => <option key={d.name} value={d.name}>{d.name}</option>)}
            </select>
          </>
        )}
        <Button kind="primary" disabled={busy} aria-label={t('apps.installNamed', { name: entry.name })}
          onClick={async () => { setBusy(true); await install(entry.name, device || undefined); setBusy(false); }}>{t('apps.install')}</Button>
      </div>
    </li>
  );
}

function InstalledApp({ app, catalog }: { app: AppListEntry; catalog?: CatalogEntry }) {
  const { t, i18n } = useTranslation();
  const { upgrade, rollback, uninstall, loadLog, closeLog } = useApps();
  const placements = useApps((s) => s.placements[app.installation_id]);
  const log = useApps((s) => s.logs[app.installation_id]);
  const [confirming, setConfirming] = useState<'uninstall' | 'rollback'>();
  const choices = catalog ? updateChoices(catalog.versions, app.version, app.last_rollback) : [];
  const [target, setTarget] = useState<string>('');
  const [sending, setSending] = useState(false);
  const busy = isBusy(app) || sending;
  const send = async (action: () => Promise<void>) => { setSending(true); try { await action(); } finally { setSending(false); } };
  const task = app.progress && !app.progress.done ? app.progress : undefined;
  const rolled = app.last_rollback ? rollbackSentence(app.last_rollback) : undefined;
  const openUrl = `${kernelOrigin()}/apps/${app.installation_id}/`;
  const trouble = TROUBLE.has(app.state) && !busy;
  const canGoBack = !!app.previous_version && !busy && app.state !== 'rolled-back';
  const id = app.installation_id;
  // An app in trouble shows its log at once: that is where the owner (or whoever helps them) looks next.
  useEffect(() => { if (trouble && !log) void loadLog(id); }, [trouble, log, loadLog, id]);

  return (
    <li className="app-row" data-app={id} data-state={app.state} data-version={app.version}>
      <AppIcon name={app.name} icon={catalog?.icon} />
      <div className="app-info">
        <div>
          <strong>{app.name}</strong> <span className="muted">{app.version}</span>{' '}
          <span className={`badge ${STATE_BADGE[app.state] ?? 'badge-warn'}`}>{t(`apps.state.${app.state}`)}</span>
        </div>
        <WhereItRuns app={app} placements={placements} />
        {task && (
          <div data-progress={task.phase} style={{ margin: 'var(--space-2) 0' }}>
            <ProgressBar value={taskFraction(task)} label={t('apps.progressOf', { name: app.name })} />
            <span className="muted">
              {t(phaseKey(task.phase))}
              {task.total > 0 && ` · ${formatBytes(task.bytes, i18n.language)} / ${formatBytes(task.total, i18n.language)}`}
              {task.waiting_for && ` · ${task.waiting_for}`}
            </span>
          </div>
        )}
        {trouble && (
          <div className="notice notice-bad" data-trouble role="alert">
            <strong>{t(app.state === 'failing' ? 'appsOps.failing' : 'appsOps.failed', { name: app.name, count: app.restarts ?? 0 })}</strong>
            <p>{t(canGoBack ? 'appsOps.troubleNextBack' : 'appsOps.troubleNext', { version: app.previous_version ?? '' })}</p>
          </div>
        )}
        {rolled && !busy && <div className="notice notice-warn" data-rollback role="status"><p>{t(rolled.key, rolled.values)}</p>
          {app.last_rollback?.reason && <details><summary>{t('common.details')}</summary><pre>{app.last_rollback.reason}</pre></details>}</div>}
        <ActionError name={id} />
        {confirming === 'uninstall' && (
          <Confirm id={`uninstall-${id}`} text={t('apps.uninstallConfirm', { name: app.name })} yes={t('apps.uninstallYes', { name: app.name })} danger
            onYes={() => { setConfirming(undefined); void send(() => uninstall(id)); }} onNo={() => setConfirming(undefined)} />
        )}
        {confirming === 'rollback' && (
          <Confirm id={`rollback-${id}`} text={t('appsOps.backConfirm', { name: app.name, from: app.version, to: app.previous_version })}
            yes={t('appsOps.backYes', { version: app.previous_version })}
            onYes={() => { setConfirming(undefined); void send(() => rollback(id)); }} onNo={() => setConfirming(undefined)} />
        )}
      </div>
      <div className="actions app-actions">
        {RUNS.has(app.state) && <a className="btn btn-primary" href={openUrl} target="_blank" rel="noopener">{t('apps.open')}</a>}
        {choices.length > 0 && !busy && (
          <>
            <label className="sr-only" htmlFor={`version-${id}`}>{t('apps.chooseVersion', { name: app.name })}</label>
            <select id={`version-${id}`} value={target || choices[0].version} onChange={(e) => setTarget(e.target.value)} className="compact-select">
              {choices.map((c) => <option key={c.version} value={c.version}>{c.failedHere ? t('appsOps.failedHere', { version: c.version }) : c.version}</option>)}
            </select>
            <Button onClick={() => void send(() => upgrade(id, target || choices[0].version))}>{t('apps.update')}</Button>
          </>
        )}
        {canGoBack && <Button onClick={() => setConfirming('rollback')}>{t('appsOps.back', { version: app.previous_version })}</Button>}
        <Button kind="quiet" aria-expanded={!!log} onClick={() => (log ? closeLog(id) : void loadLog(id))}>{t(log ? 'appsOps.hideLog' : 'appsOps.showLog')}</Button>
        {!busy && <Button kind="danger" onClick={() => setConfirming('uninstall')}>{t('apps.uninstall')}</Button>}
      </div>
      {log && <LogView id={id} name={app.name} />}
    </li>
  );
}

function Confirm({ id, text, yes, danger, onYes, onNo }: { id: string; text: string; yes: string; danger?: boolean; onYes(): void; onNo(): void }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-warn" role="alertdialog" aria-labelledby={id}>
      <p id={id}>{text}</p>
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
        <Button kind={danger ? 'danger' : 'primary'} onClick={onYes}>{yes}</Button>
        <Button kind="quiet" onClick={onNo}>{t('common.cancel')}</Button>
      </div>
    </div>
  );
}

/** "On ood1 · it has the most free memory" — the scheduler's reason in words, its own detail in a fold. */
function WhereItRuns({ app, placements }: { app: AppListEntry; placements?: { node: string; reason: { code: string; detail: string } }[] }) {
  const { t } = useTranslation();
  const first = placements?.[0];
  if (!first) return app.node ? <div className="muted">{t('apps.onDevice', { device: app.node })}</div> : null;
  const why = placementWhy(first.node, first.reason);
  return (
    <div className="muted" data-placement={first.node}>
      {t('apps.onDevice', { device: first.node })} · <span data-why>{t(why.key, why.values)}</span>
      {placements.length > 1 && ` ${t('appsOps.andMore', { count: placements.length - 1 })}`}
      {why.detail && <details className="inline-details"><summary>{t('appsOps.whyDetails')}</summary><pre>{why.detail}</pre></details>}
    </div>
  );
}

function LogView({ id, name }: { id: string; name: string }) {
  const { t } = useTranslation();
  const log = useApps((s) => s.logs[id]);
  const loadLog = useApps((s) => s.loadLog);
  if (!log) return null;
  return (
    <section className="log-view" aria-label={t('appsOps.logOf', { name })} data-log={id}>
      <div className="log-head">
        <strong>{log.node ? t('appsOps.logTitleOn', { name, device: log.node }) : t('appsOps.logTitle', { name })}</strong>
        <Button kind="quiet" disabled={log.loading} onClick={() => void loadLog(id)}>{t('common.refresh')}</Button>
      </div>
      {log.error !== undefined ? <ErrorNotice error={log.error} onRetry={() => void loadLog(id)} />
        : log.loading && !log.entries ? <p className="muted" role="status">{t('common.loading')}</p>
        : log.entries && log.entries.length === 0 ? <p className="muted">{t('appsOps.logEmpty')}</p>
        : (
          <pre className="log-lines" tabIndex={0}>
            {log.entries?.map((e, i) => <span key={i} className={`log-${e.level}`}>{e.raw}{'\n'}</span>)}
          </pre>
        )}
    </section>
  );
}

/** Drop a .pkg (or choose one) to add it to the library, through the repo's publish path, with progress. */
function PublishDrop() {
  const { t, i18n } = useTranslation();
  const { publish, publishFile, clearPublish } = useApps();
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const working = publish && (publish.phase === 'reading' || publish.phase === 'sending' || publish.phase === 'checking');
  const take = (files: FileList | null) => {
    const file = files?.[0];
    if (file) void publishFile(file);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (!working) take(e.dataTransfer.files);
  };
  return (
    <div className={`drop-zone${over ? ' drop-over' : ''}`} data-drop-zone
      onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={onDrop}>
      <h3>{t('appsOps.publishTitle')}</h3>
      <p className="muted">{t('appsOps.publishHint')}</p>
      <input ref={input} id="publish-file" type="file" accept=".pkg" hidden aria-label={t('appsOps.publishChoose')} onChange={(e) => { take(e.target.files); e.target.value = ''; }} />
      <Button disabled={!!working} onClick={() => input.current?.click()}>{t('appsOps.publishChoose')}</Button>
      {publish && (
        <div className="publish-status" data-publish={publish.phase} role="status">
          {working && (
            <>
              <ProgressBar value={publish.total > 0 ? publish.sent / publish.total : 0} label={t('appsOps.publishProgress')} />
              <span className="muted">
                {t(`appsOps.publishPhase.${publish.phase}`, { name: publish.name ?? publish.fileName, version: publish.version ?? '' })}
                {publish.phase === 'sending' && ` · ${formatBytes(publish.sent, i18n.language)} / ${formatBytes(publish.total, i18n.language)}`}
              </span>
            </>
          )}
          {publish.phase === 'done' && (
            <div className="notice notice-ok">
              <p>{t(publish.already ? 'appsOps.publishAlready' : 'appsOps.publishDone', { name: publish.name, version: publish.version })}</p>
              <Button kind="quiet" onClick={clearPublish}>{t('appsOps.dismiss')}</Button>
            </div>
          )}
          {publish.phase === 'failed' && (
            <>
              <ErrorNotice error={publish.error} />
              <Button kind="quiet" onClick={clearPublish}>{t('appsOps.dismiss')}</Button>
            </>
          )}
        </div>
      )}
    </div>
  );
}
