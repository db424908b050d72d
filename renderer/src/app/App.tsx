// The root: an unactivated device opens the wizard; a zone opens the control panel (signed in from a
// saved session, from the wizard's hand-over login, or through the login screen).
import { loadOwnerKit } from '../api/owner-kit';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorNotice } from '../components/ErrorNotice';
import { useSession } from '../stores/session';
import { useReconnect } from '../stores/reconnect';
import { detectMode, type PanelMode } from './mode';
import { Shell } from './Shell';

// The wizard's store makes recovery words as it loads: the owner kit comes first.
const WizardScreen = lazy(() => loadOwnerKit().then(() => import('../screens/wizard/WizardScreen')));
const LoginScreen = lazy(() => import('../screens/login/LoginScreen'));

/** `#/home?handover=<jwt>&user=<name>`: the wizard's one-time login, removed from the address at once. */
export function takeHandover(): { jwt: string; user: string } | undefined {
  const query = location.hash.split('?')[1];
  if (!query) return undefined;
  const params = new URLSearchParams(query);
  const jwt = params.get('handover');
  const user = params.get('user');
  if (!jwt || !user) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}#/home`);
  return { jwt, user };
}

function Loading() {
  const { t } = useTranslation();
  return <main className="centred"><p className="muted" role="status">{t('common.loading')}</p></main>;
}

function ZoneApp() {
  const status = useSession((s) => s.status);
  const [handoverError, setHandoverError] = useState<unknown>();
  useReconnect();
  useEffect(() => {
    const handover = takeHandover();
    const session = useSession.getState();
    if (!handover) return void session.restore();
    session.loginWithJwt(handover.user, handover.jwt).catch((e) => {
      setHandoverError(e);
      useSession.setState({ status: 'signed-out', user: handover.user });
    });
  }, []);
  if (status === 'unknown') return <Loading />;
  if (status === 'signed-out') {
    return (
      <>
        {handoverError !== undefined && <div className="centred" style={{ paddingBottom: 0 }}><ErrorNotice error={handoverError} /></div>}
        <LoginScreen />
      </>
    );
  }
  return (
    <>
      <Shell />
      {status === 'expired' && (
        <div className="overlay" role="dialog" aria-modal="true" aria-label="login">
          <LoginScreen reason="expired" />
        </div>
      )}
    </>
  );
}

export function App() {
  const [mode, setMode] = useState<PanelMode>();
  useEffect(() => { void detectMode().then(setMode); }, []);
  return (
    <Suspense fallback={<Loading />}>
      {!mode ? <Loading /> : mode.kind === 'setup' ? <WizardScreen device={mode.device} /> : <ZoneApp />}
    </Suspense>
  );
}
