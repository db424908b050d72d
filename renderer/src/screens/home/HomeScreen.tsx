// Home: the zone's health at a glance (small checks, each failure with its cause and next step) and
// how many devices, apps and people it has.
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useSession } from '../../stores/session';
import { useHome } from './store';

const BADGE = { ok: 'badge-ok', warn: 'badge-warn', bad: 'badge-bad' } as const;
const RECHECK_MS = 4000;

export default function HomeScreen() {
  const { t } = useTranslation();
  const { loading, error, checks, overall, counts, load } = useHome();
  const reachable = useSession((s) => s.reachable);
  useEffect(() => { void load(); }, [load, reachable]);
  // While something is wrong (a service still starting after a restart, a device away), look again
  // every few seconds, so the page recovers by itself when the zone does.
  useEffect(() => {
    if (loading || !reachable || (overall === 'ok' && error === undefined)) return;
    const timer = setTimeout(() => void load(), RECHECK_MS);
    return () => clearTimeout(timer);
  }, [loading, reachable, overall, error, load]);

  return (
    <div data-screen="home">
      <div className="topbar">
        <h1>{t('home.title')}</h1>
        <Button onClick={() => void load()} disabled={loading}>{t('common.refresh')}</Button>
      </div>
      {/* While the kernel is unreachable the banner says so once; the last known state stays. */}
      {error !== undefined && reachable && <ErrorNotice error={error} onRetry={() => void load()} />}
      {(error === undefined || !reachable) && (
        <>
          <section aria-labelledby="health-title" className="card" style={{ marginBottom: 'var(--space-5)' }}>
            <h2 id="health-title">
              {t('home.health')}{' '}
              {!reachable ? <span className="badge badge-muted" data-health="unknown">{t('home.overall.unknown')}</span>
                : checks.length > 0 && <span className={`badge ${BADGE[overall]}`} data-health={overall}>{t(`home.overall.${overall}`)}</span>}
            </h2>
            {!reachable && <p className="muted">{t('home.lastKnown')}</p>}
            {loading && checks.length === 0 ? <p className="muted" role="status">{t('common.loading')}</p> : (
              <ul className={`list${reachable ? '' : ' stale'}`}>
                {checks.map(({ id, result }) => (
                  <li key={id} data-check={id} data-status={result.status}>
                    <span className={`badge ${BADGE[result.status]}`}>{t(`home.status.${result.status}`)}</span>
                    <div>
                      <div>{t(result.what, result.values)}</div>
                      {result.next && <div className="muted">{t(result.next, result.values)}</div>}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-label={t('home.counts')} className="grid">
            {(['devices', 'apps', 'people'] as const).map((k) => (
              <div key={k} className="card stat" data-count={k}>
                <span className="muted">{t(`home.count.${k}`)}</span>
                <span className="num">{counts[k] ?? '—'}</span>
                {counts[k] === undefined && !loading && <span className="muted">{t('home.count.hidden')}</span>}
              </div>
            ))}
          </section>
        </>
      )}
    </div>
  );
}
