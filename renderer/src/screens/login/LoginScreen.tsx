// Password login (BuckyOS nonce-hashed: the page sends sha256(verifier + nonce), never the password).
// Also shown over the current screen when a session ended, so nothing on the page is lost.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/Button';
import { Field } from '../../components/Field';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LanguagePicker } from '../../components/LanguagePicker';
import { useSession } from '../../stores/session';

export default function LoginScreen({ reason }: { reason?: 'expired' }) {
  const { t } = useTranslation();
  const login = useSession((s) => s.login);
  const lastUser = useSession((s) => s.user);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => { if (reason === 'expired') heading.current?.focus(); }, [reason]);
  const [user, setUser] = useState(lastUser ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(user, password);
    } catch (err) {
      setError(err);
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="centred" data-screen="login">
      <div className="card" style={{ maxWidth: 440 }}>
        <h1 ref={heading} tabIndex={-1}>{t('login.title')}</h1>
        <p className="muted">{t(reason === 'expired' ? 'login.expired' : 'login.intro')}</p>
        {error !== undefined && <ErrorNotice error={error} context="login" />}
        <form onSubmit={submit}>
          <Field label={t('login.user')} value={user} autoComplete="username" autoCapitalize="none" spellCheck={false}
            onChange={(e) => setUser(e.target.value)} required />
          <Field label={t('login.password')} type="password" value={password} autoComplete="current-password"
            onChange={(e) => setPassword(e.target.value)} required />
          <div className="actions">
            <Button kind="primary" type="submit" disabled={busy || !user || !password}>{t(busy ? 'login.signingIn' : 'login.submit')}</Button>
          </div>
        </form>
        <div className="login-footer"><LanguagePicker compact /></div>
      </div>
    </main>
  );
}
