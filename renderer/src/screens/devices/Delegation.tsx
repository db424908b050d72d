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
