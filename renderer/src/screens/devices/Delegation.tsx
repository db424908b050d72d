// The owner's permission for the main server to add devices (the enrolment delegation, kernel/api/
// devices.ts): made in the setup wizard; when the home cloud has none (set up from the command line,
// expired after a year, or withdrawn), this explains why adding needs it and makes it with the recovery
// words, which stay in this page: the owner kit derives the owner key here, signs the main server's
// request (after checking it is narrow) and wipes the key; only the signed permission is sent.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PanelError } from '../../api/krpc';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { useDevices } from './store';

/**
 * While the permission is in force: until when, and a way to withdraw it (a lost or given-away main
 * server should not keep it). Withdrawing asks first and says what it changes.
 */
export function DelegationInForce() {
  const { t, i18n } = useTranslation();
  const delegation = useDevices((s) => s.delegation);
  const devices = useDevices((s) => s.devices);
  const withdraw = useDevices((s) => s.withdrawDelegation);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const id = useId();
  if (delegation?.state !== 'active') return null;
  // Revoking the permission ends every document signed under it (docs/security.md): say whom that hits.
  const affected = devices.filter((d) => d.approved_by === 'delegation').map((d) => d.name);
  const until = delegation.exp ? new Date(delegation.exp * 1000).toLocaleDateString(i18n.language, { year: 'numeric', month: 'long', day: 'numeric' }) : undefined;
  return (
    <section className="card" aria-labelledby={`${id}-title`} data-delegation-in-force style={{ marginTop: 'var(--space-5)' }}>
      <h2 id={`${id}-title`} style={{ fontSize: 'var(--text-m)', marginTop: 0 }}>{t('devices.delegation.inForce.title')}</h2>
      <p className="muted">{until ? t('devices.delegation.inForce.until', { date: until }) : t('devices.delegation.inForce.noDate')}</p>
      {!asking ? (
        <Button kind="quiet" onClick={() => setAsking(true)} data-action="withdraw-permission">{t('devices.delegation.inForce.withdraw')}</Button>
      ) : (
        <div className="notice notice-warn" role="alertdialog" aria-labelledby={`${id}-ask`} aria-describedby={`${id}-consequence`} data-confirm="withdraw-permission">
          <p id={`${id}-ask`} style={{ fontWeight: 600, marginTop: 0 }}>{t('devices.delegation.inForce.ask')}</p>
          <p id={`${id}-consequence`}>{affected.length === 0
            ? t('devices.delegation.inForce.consequenceNone')
            : t('devices.delegation.inForce.consequence', { names: affected.join(', ') })}</p>
          {error !== undefined && <ErrorNotice error={error} />}
          <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
            <Button kind="danger" disabled={busy} data-action="confirm-withdraw" onClick={async () => {
              setBusy(true);
              setError(undefined);
              try {
                await withdraw();
                setAsking(false);
              } catch (err) {
                setError(err);
              } finally {
                setBusy(false);
              }
            }}>{busy ? t('devices.delegation.inForce.withdrawing') : t('devices.delegation.inForce.confirm')}</Button>
            <Button kind="quiet" disabled={busy} onClick={() => { setAsking(false); setError(undefined); }}>{t('common.cancel')}</Button>
          </div>
        </div>
      )}
    </section>
  );
}

export function DelegationNotice() {
  const { t } = useTranslation();
  const delegation = useDevices((s) => s.delegation);
  const delegate = useDevices((s) => s.delegate);
  const [open, setOpen] = useState(false);
  const [words, setWords] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [given, setGiven] = useState(false);
  const id = useId();
  if (given && delegation?.state === 'active') {
    return <div className="notice notice-ok" role="status" data-delegation="given"><p>{t('devices.delegation.given')}</p></div>;
  }
  if (!delegation || delegation.state === 'active') return null;
  const state = delegation.state;
  return (
    <section className="notice notice-warn" aria-labelledby={`${id}-title`} data-delegation={state} style={{ marginBottom: 'var(--space-5)' }}>
      <h2 id={`${id}-title`} style={{ fontSize: 'var(--text-l)', marginTop: 0 }}>{t('devices.delegation.title')}</h2>
      <p>{t(`devices.delegation.why.${state}`)}</p>
      {!open ? (
        <div><Button kind="primary" onClick={() => setOpen(true)} data-action="delegate">{t('devices.delegation.open')}</Button></div>
      ) : (
        <form onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setProblem(undefined);
          setError(undefined);
          try {
            await delegate(words);
            setWords('');
            setOpen(false);
            setGiven(true);
          } catch (err) {
            // Words that are not 12 valid recovery words never leave the page; words of another owner are
            // refused by the main server (the signature does not match this home cloud's owner).
            if (!(err instanceof PanelError) && /mnemonic|word|checksum/i.test((err as Error).message)) setProblem('devices.delegation.wordsInvalid');
            else if (err instanceof PanelError && err.code === 'PERMISSION_DENIED') setProblem('devices.delegation.wordsWrong');
            else setError(err);
          } finally {
            setBusy(false);
          }
        }}>
          <div className="field">
            <label htmlFor={`${id}-words`}>{t('devices.delegation.wordsLabel')}</label>
            <textarea id={`${id}-words`} rows={3} value={words} spellCheck={false} autoCapitalize="none" autoComplete="off" data-input="recovery-words"
              aria-invalid={problem ? true : undefined} aria-describedby={`${id}-hint${problem ? ` ${id}-problem` : ''}`}
              onChange={(e) => { setWords(e.target.value); setProblem(undefined); }} />
            <span id={`${id}-hint`} className="hint">{t('devices.delegation.wordsHint')}</span>
            {problem && <span id={`${id}-problem`} className="field-error" role="alert">{t(problem)}</span>}
          </div>
          {error !== undefined && <ErrorNotice error={error} />}
          <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
            <Button kind="primary" type="submit" disabled={busy || words.trim() === ''} data-action="give-permission">
              {busy ? t('devices.delegation.giving') : t('devices.delegation.give')}
            </Button>
            <Button kind="quiet" onClick={() => { setOpen(false); setWords(''); setProblem(undefined); }}>{t('common.cancel')}</Button>
          </div>
        </form>
      )}
    </section>
  );
}
