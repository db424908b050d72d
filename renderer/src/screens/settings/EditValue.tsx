// Changing one setting: the owner edits the value, confirms with the consequence spelled out, and the
// change goes through the sudo step (the password again, a few minutes of raised rights). The write is
// conditional on the revision the owner saw, so a change made meanwhile is never overwritten.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { isSudoCancelled, withSudo } from '../../stores/sudo';
import { useSettings } from './store';
import { editProblem, prettyValue } from './tree';

export function EditValue({ k, value, version }: { k: string; value: string; version: number }) {
  const { t } = useTranslation();
  const readValue = useSettings((s) => s.readValue);
  const [draft, setDraft] = useState<string>();
  // The revision the owner saw when they began: a live update meanwhile must not move it.
  const [seenVersion, setSeenVersion] = useState(version);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const saved = useSettings((s) => !!s.values[k]?.savedByOwner);
  const setSaved = (v: boolean) => useSettings.getState().markSaved(k, v);
  const pretty = prettyValue(value);

  if (draft === undefined) {
    return (
      <div className="settings-edit">
        {saved && <p className="notice notice-ok" role="status" data-saved>{t('settings.saved')}</p>}
        <Button onClick={() => { setDraft(pretty.text); setSeenVersion(version); setSaved(false); setError(undefined); }}>{t('settings.edit')}</Button>
        <span className="muted settings-edit-hint">{t('settings.editHint')}</span>
      </div>
    );
  }
  const problem = editProblem(pretty.text, draft);
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // JSON is stored compact, as the kernel writes it; other text as typed.
      const text = pretty.json ? JSON.stringify(JSON.parse(draft)) : draft;
      await withSudo((call) => call('control-panel', 'sys_config.set', { key: k, value: text, version: seenVersion }));
      setDraft(undefined);
      setConfirming(false);
      setSaved(true);
      await readValue(k, true);
    } catch (e) {
      setConfirming(false);
      if (!isSudoCancelled(e)) setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="settings-edit" data-editing={k}>
      <label htmlFor="settings-draft" className="settings-edit-label">{t('settings.newValue')}</label>
      <textarea id="settings-draft" className="settings-draft" value={draft} rows={Math.min(18, draft.split('\n').length + 1)}
        onChange={(e) => { setDraft(e.target.value); setConfirming(false); }} aria-invalid={problem === 'invalidJson'} spellCheck={false} />
      {problem === 'invalidJson' && <p className="field-error" role="alert">{t('settings.invalidJson')}</p>}
      {error !== undefined && <ErrorNotice error={error} />}
      {confirming ? (
        <div className="notice notice-warn" role="alertdialog" aria-labelledby="settings-confirm">
          <p id="settings-confirm">{t('settings.confirm', { key: k })}</p>
          <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
            <Button kind="primary" disabled={busy} onClick={() => void save()}>{t('settings.confirmYes')}</Button>
            <Button kind="quiet" disabled={busy} onClick={() => setConfirming(false)}>{t('common.cancel')}</Button>
          </div>
        </div>
      ) : (
        <div className="actions" style={{ marginTop: 'var(--space-3)', justifyContent: 'flex-start' }}>
          <Button kind="primary" disabled={problem !== undefined} onClick={() => setConfirming(true)}>{t('settings.save')}</Button>
          <Button kind="quiet" onClick={() => { setDraft(undefined); setError(undefined); }}>{t('common.cancel')}</Button>
        </div>
      )}
    </div>
  );
}
