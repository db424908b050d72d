// Apps: what is installed (with live progress, the plain-words rollback note, open / update / go back /
// uninstall) and the zone's library (install in one click).
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AppListEntry } from '../../../../kernel/api/app-manager';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ProgressBar } from '../../components/ProgressBar';
import { kernelOrigin } from '../../api/krpc';
import { formatBytes, phaseKey, rollbackSentence, taskFraction, updateChoices } from './progress';
import { isBusy, useApps, type CatalogEntry } from './store';

const STATE_BADGE: Record<string, string> = { running: 'badge-ok', 'rolled-back': 'badge-warn', failed: 'badge-bad', failing: 'badge-bad', stopped: 'badge-muted' };

export default function AppsScreen() {
  const { t } = useTranslation();
  const { loading, error, catalog, installed, load } = useApps();
  useEffect(() => { void load(); }, [load]);
  const installedNames = new Set(installed.map((a) => a.name));
  const library = catalog.filter((c) => !installedNames.has(c.name));

  return (
    <div data-screen="apps">
      <div className="topbar">
        <h1>{t('apps.title')}</h1>
        <Button onClick={() => void load()} disabled={loading}>{t('common.refresh')}</Button>
      </div>
      {error !== undefined && <ErrorNotice error={error} onRetry={() => void load()} />}
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
      </section>
    </div>
  );
}

function ActionError({ name }: { name: string }) {
  const actionError = useApps((s) => s.actionError);
  return actionError && actionError.name === name ? <ErrorNotice error={actionError.error} /> : null;
}

function LibraryApp({ entry }: { entry: CatalogEntry }) {
  const { t } = useTranslation();
  const install = useApps((s) => s.install);
  const [busy, setBusy] = useState(false);
  return (
    <li data-library-app={entry.name}>
      <div style={{ flex: 1 }}>
        <strong>{entry.name}</strong> <span className="muted">{entry.latest}</span>
        {entry.description && <div className="muted">{entry.description}</div>}
        <ActionError name={entry.name} />
      </div>
      <Button kind="primary" disabled={busy} aria-label={t('apps.installNamed', { name: entry.name })}
        onClick={async () => { setBusy(true); await install(entry.name); setBusy(false); }}>{t('apps.install')}</Button>
    </li>
  );
}

function InstalledApp({ app, catalog }: { app: AppListEntry; catalog?: CatalogEntry }) {
  const { t, i18n } = useTranslation();
  const { upgrade, uninstall } = useApps();
  const [confirming, setConfirming] = useState(false);
  const newer = catalog ? updateChoices(catalog.versions, app.version, app.last_rollback) : [];
  const [target, setTarget] = useState<string>('');
  const [sending, setSending] = useState(false);
  const busy = isBusy(app) || sending;
  const send = async (action: () => Promise<void>) => { setSending(true); try { await action(); } finally { setSending(false); } };
  const task = app.progress && !app.progress.done ? app.progress : undefined;
  const rolled = app.last_rollback ? rollbackSentence(app.last_rollback) : undefined;
  const openUrl = `${kernelOrigin()}/apps/${app.installation_id}/`;

  return (
    <li data-app={app.installation_id} data-state={app.state} data-version={app.version}>
      <div style={{ flex: 1, minWidth: 0 }}>
        <div>
          <strong>{app.name}</strong> <span className="muted">{app.version}</span>{' '}
          <span className={`badge ${STATE_BADGE[app.state] ?? 'badge-warn'}`}>{t(`apps.state.${app.state}`)}</span>
          {app.node && <span className="muted"> · {t('apps.onDevice', { device: app.node })}</span>}
        </div>
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
        {rolled && !busy && <div className="notice notice-warn" data-rollback role="status"><p>{t(rolled.key, rolled.values)}</p>
          {app.last_rollback?.reason && <details><summary>{t('common.details')}</summary><pre>{app.last_rollback.reason}</pre></details>}</div>}
        <ActionError name={app.installation_id} />
        {confirming && (
          <div className="notice notice-warn" role="alertdialog" aria-labelledby={`uninstall-${app.installation_id}`}>
            <p id={`uninstall-${app.installation_id}`}>{t('apps.uninstallConfirm', { name: app.name })}</p>
            <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
              <Button kind="danger" onClick={() => { setConfirming(false); void send(() => uninstall(app.installation_id)); }}>{t('apps.uninstallYes', { name: app.name })}</Button>
              <Button kind="quiet" onClick={() => setConfirming(false)}>{t('common.cancel')}</Button>
            </div>
          </div>
        )}
      </div>
      <div className="actions" style={{ marginTop: 0, flexWrap: 'wrap', justifyContent: 'flex-end', maxWidth: 420 }}>
        {app.state === 'running' && <a className="btn btn-primary" href={openUrl} target="_blank" rel="noopener">{t('apps.open')}</a>}
        {newer.length > 0 && !busy && (
          <>
            <label className="sr-only" htmlFor={`version-${app.installation_id}`}>{t('apps.chooseVersion', { name: app.name })}</label>
            <select id={`version-${app.installation_id}`} value={target || newer[0].version} onChange={(e) => setTarget(e.target.value)} style={{ width: 'auto' }}>
              {newer.map((c) => <option key={c.version} value={c.version}>{c.failedHere ? t('appsOps.failedHere', { version: c.version }) : c.version}</option>)}
            </select>
            <Button onClick={() => void send(() => upgrade(app.installation_id, target || newer[0].version))}>{t('apps.update')}</Button>
          </>
        )}
        {!busy && <Button kind="danger" onClick={() => setConfirming(true)}>{t('apps.uninstall')}</Button>}
      </div>
    </li>
  );
}
