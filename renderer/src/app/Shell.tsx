// The signed-in frame: navigation (one click back to Home from anywhere), the connection banner, and
// the current screen, loaded lazily.
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { useTranslation } from 'react-i18next';
import { loadOwnerKit } from '../api/owner-kit';
import { Button } from '../components/Button';
import { LanguagePicker } from '../components/LanguagePicker';
import { SudoDialog } from '../components/SudoDialog';
import { useSession } from '../stores/session';
import { useRouter, type Route } from './router';

const SCREENS: Partial<Record<Route, LazyExoticComponent<ComponentType>>> = {
  home: lazy(() => import('../screens/home/HomeScreen')),
  apps: lazy(() => import('../screens/apps/AppsScreen')),
  settings: lazy(() => import('../screens/settings/SettingsScreen')),
  permissions: lazy(() => import('../screens/permissions/PermissionsScreen')),
  scheduler: lazy(() => import('../screens/scheduler/SchedulerScreen')),
  people: lazy(() => import('../screens/people/PeopleScreen')),
  // The owner kit reads pairing codes and signs the delegation on this screen.
  devices: lazy(() => loadOwnerKit().then(() => import('../screens/devices/DevicesScreen'))),
};
export const NAV: Route[] = ['home', 'apps', 'people', 'devices', 'permissions', 'scheduler', 'settings'];

export function Shell() {
  const { t } = useTranslation();
  const route = useRouter((s) => s.route);
  const reachable = useSession((s) => s.reachable);
  const user = useSession((s) => s.user);
  const logout = useSession((s) => s.logout);
  const Screen = SCREENS[route] ?? SCREENS.home!;
  return (
    <div className="shell">
      <nav className="nav" aria-label={t('nav.label')}>
        <div className="brand">{t('app.name')}</div>
        {NAV.map((r) => (
          <a key={r} href={`#/${r}`} aria-current={route === r ? 'page' : undefined}>{t(`nav.${r}`)}</a>
        ))}
        <span className="grow" />
        <LanguagePicker compact />
        <p className="muted" style={{ padding: '0 var(--space-3)', margin: 'var(--space-3) 0 0' }}>{t('nav.signedInAs', { user })}</p>
        <Button kind="quiet" onClick={() => void logout()}>{t('nav.logout')}</Button>
      </nav>
      <div>
        {!reachable && (
          <div className="notice notice-warn banner" role="status" data-banner="offline">
            <strong>{t('offline.title')}</strong>
            <p>{t('offline.next')}</p>
          </div>
        )}
        <main className="main">
          <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
            <Screen />
          </Suspense>
        </main>
      </div>
      <SudoDialog />
    </div>
  );
}
