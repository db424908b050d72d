// The password dialog of stores/sudo.ts: mounted once by the Shell, opened by withSudo(). A native
// <dialog> (showModal) keeps keyboard focus inside it; Escape cancels.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSudo } from '../stores/sudo';
import { useSession } from '../stores/session';
import { Button } from './Button';
import { ErrorNotice } from './ErrorNotice';
import { Field } from './Field';

export function SudoDialog() {
  const { t } = useTranslation();
  const { asking, busy, error, submit, cancel } = useSudo();
  const user = useSession((s) => s.user);
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (asking && !d.open) {
      setPassword('');
      d.showModal();
    } else if (!asking && d.open) d.close();
  }, [asking]);
  useEffect(() => { if (error !== undefined) setPassword(''); }, [error]);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit(password);
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="sudo-title" data-dialog="sudo"
      onCancel={(e) => { e.preventDefault(); cancel(); }}>
      {asking && (
        <form onSubmit={onSubmit}>
          <h2 id="sudo-title">{t('sudo.title')}</h2>
          <p className="muted">{t('sudo.intro')}</p>
          {error !== undefined && <ErrorNotice error={error} context="sudo" />}
          <input type="text" name="username" autoComplete="username" value={user ?? ''} readOnly hidden />
          <Field label={t('sudo.password')} type="password" value={password} autoComplete="current-password" autoFocus
            onChange={(e) => setPassword(e.target.value)} required />
          <div className="actions">
            <Button onClick={cancel}>{t('common.cancel')}</Button>
            <Button kind="primary" type="submit" disabled={busy || !password}>{t(busy ? 'sudo.confirming' : 'sudo.confirm')}</Button>
          </div>
        </form>
      )}
    </dialog>
  );
}
