// The activation wizard an unactivated device opens on: five screens, one primary action each.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/Button';
import { Field } from '../../components/Field';
import { ErrorNotice } from '../../components/ErrorNotice';
import { LanguagePicker } from '../../components/LanguagePicker';
import { ProgressBar } from '../../components/ProgressBar';
import { copyText } from '../../components/copy';
import type { DeviceMiniInfo } from '../../api/kernel-types';
import { useWizard, WIZARD_STEPS, type WizardStep } from './store';
import { passwordStrength } from './strength';
import { phaseStates, setupProgress, SETUP_PHASES } from './progress';

export default function WizardScreen({ device }: { device: DeviceMiniInfo }) {
  const { t } = useTranslation();
  const step = useWizard((s) => s.step);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => { heading.current?.focus(); }, [step]);
  const Body = { welcome: Welcome, words: Words, check: Check, zone: Zone, review: Review }[step];
  return (
    <main className="centred">
      <div className="card" data-wizard-step={step}>
        <Stepper step={step} />
        <h1 ref={heading} tabIndex={-1}>{t(`wizard.${step}.title`)}</h1>
        <Body device={device} />
      </div>
    </main>
  );
}

function Stepper({ step }: { step: WizardStep }) {
  const { t } = useTranslation();
  const at = WIZARD_STEPS.indexOf(step);
  return (
    <div className="stepper">
      {WIZARD_STEPS.map((s, i) => <span key={s} className={`dot${i <= at ? ' on' : ''}`} aria-hidden="true" />)}
      <span>{t('wizard.stepOf', { n: at + 1, total: WIZARD_STEPS.length })}</span>
    </div>
  );
}

function StepForm({ children, primary, canGoBack = true, busy }: { children: ReactNode; primary: string; canGoBack?: boolean; busy?: boolean }) {
  const { t } = useTranslation();
  const next = useWizard((s) => s.next);
  const back = useWizard((s) => s.back);
  const submit = (e: FormEvent) => { e.preventDefault(); next(); };
  return (
    <form onSubmit={submit} noValidate>
      {children}
      <div className="actions">
        {canGoBack && <Button kind="quiet" onClick={back} disabled={busy}>{t('common.back')}</Button>}
        <span className="spacer" />
        <Button kind="primary" type="submit" disabled={busy}>{primary}</Button>
      </div>
    </form>
  );
}

function Welcome({ device }: { device: DeviceMiniInfo }) {
  const { t } = useTranslation();
  const { ownerName, problems, set } = useWizard();
  return (
    <StepForm primary={t('common.continue')} canGoBack={false}>
      <p>{t('wizard.welcome.intro', { device: device.hostname })}</p>
      <LanguagePicker />
      <Field label={t('wizard.welcome.name')} hint={t('wizard.welcome.nameHint')} value={ownerName} autoComplete="username"
        autoCapitalize="none" spellCheck={false} onChange={(e) => set({ ownerName: e.target.value })}
        error={problems.ownerName && t(problems.ownerName)} required />
    </StepForm>
  );
}

function Words() {
  const { t } = useTranslation();
  const { mnemonic, wordsMode, restoreText, problems, set, useRestore } = useWizard();
  const [copied, setCopied] = useState<boolean>();
  if (wordsMode === 'restore') {
    return (
      <StepForm primary={t('common.continue')}>
        <p>{t('wizard.words.restoreIntro')}</p>
        <div className="field">
          <label htmlFor="restore-words">{t('wizard.words.restoreLabel')}</label>
          <textarea id="restore-words" rows={3} value={restoreText} spellCheck={false} autoCapitalize="none"
            aria-invalid={problems.restore ? true : undefined} aria-describedby={problems.restore ? 'restore-error' : undefined}
            onChange={(e) => set({ restoreText: e.target.value })} />
          {problems.restore && <span id="restore-error" className="field-error" role="alert">{t(problems.restore)}</span>}
        </div>
        <Button kind="quiet" onClick={() => useRestore(false)}>{t('wizard.words.makeNew')}</Button>
      </StepForm>
    );
  }
  const words = mnemonic.split(' ');
  return (
    <StepForm primary={t('wizard.words.written')}>
      <p>{t('wizard.words.intro')}</p>
      <div className="notice notice-warn"><p>{t('wizard.words.warning')}</p></div>
      <div className="printable">
        <h2 className="print-only">{t('wizard.words.title')}</h2>
        <ol className="words" aria-label={t('wizard.words.listLabel')}>
          {words.map((w, i) => <li key={i} data-word-index={i}><span aria-hidden="true">{i + 1}.</span>{w}</li>)}
        </ol>
      </div>
      <div className="actions" style={{ justifyContent: 'flex-start', marginTop: 0 }}>
        <Button onClick={async () => setCopied(await copyText(mnemonic))}>{t('wizard.words.copy')}</Button>
        <Button onClick={() => window.print()}>{t('wizard.words.print')}</Button>
        <span role="status">{copied === true ? t('wizard.words.copied') : copied === false ? t('wizard.words.copyFailed') : ''}</span>
      </div>
      <p className="muted" style={{ marginTop: 'var(--space-4)' }}>
        <Button kind="quiet" onClick={() => useRestore(true)}>{t('wizard.words.haveWords')}</Button>
      </p>
    </StepForm>
  );
}

function Check() {
  const { t } = useTranslation();
  const { checkPositions, checkTyped, problems, set } = useWizard();
  return (
    <StepForm primary={t('common.continue')}>
      <p>{t('wizard.check.intro')}</p>
      {checkPositions.map((pos, i) => (
        <Field key={pos} label={t('wizard.check.word', { n: pos + 1 })} value={checkTyped[i]} autoComplete="off" autoCapitalize="none"
          spellCheck={false} data-check-position={pos}
          onChange={(e) => set({ checkTyped: checkTyped.map((v, j) => (j === i ? e.target.value : v)) })} />
      ))}
      {problems.check && <div className="notice notice-bad" role="alert"><p>{t(problems.check)}</p></div>}
    </StepForm>
  );
}

function Zone() {
  const { t } = useTranslation();
  const { zoneName, password, confirm, ownerName, problems, set } = useWizard();
  const score = passwordStrength(password, [ownerName, zoneName]);
  return (
    <StepForm primary={t('common.continue')}>
      <p>{t('wizard.zone.intro')}</p>
      <Field label={t('wizard.zone.name')} hint={t('wizard.zone.nameHint', { name: zoneName || 'home' })} value={zoneName}
        autoCapitalize="none" spellCheck={false} onChange={(e) => set({ zoneName: e.target.value })} error={problems.zoneName && t(problems.zoneName)} />
      <input type="text" name="username" autoComplete="username" value={ownerName} readOnly hidden />
      <Field label={t('wizard.zone.password')} type="password" autoComplete="new-password" value={password}
        onChange={(e) => set({ password: e.target.value })} error={problems.password && t(problems.password)}
        hint={t('wizard.zone.passwordHint')}
        after={password ? (
          <div>
            <div className="meter" data-score={score} aria-hidden="true"><span /><span /><span /><span /></div>
            <span className="hint" aria-live="polite">{t('wizard.zone.strength', { level: t(`wizard.zone.levels.${score}`) })}</span>
          </div>
        ) : undefined} />
      <Field label={t('wizard.zone.confirm')} type="password" autoComplete="new-password" value={confirm}
        onChange={(e) => set({ confirm: e.target.value })} error={problems.confirm && t(problems.confirm)} />
    </StepForm>
  );
}

function Review() {
  const { t } = useTranslation();
  const { ownerName, zoneName, wordsMode, delegateDevices, phase, error, start, back, set } = useWizard();
  const running = phase !== undefined && !error;
  if (phase) {
    const states = phaseStates(phase);
    return (
      <div aria-live="polite" data-setup-phase={phase}>
        <p>{t('wizard.progress.intro')}</p>
        <ProgressBar value={setupProgress(phase)} label={t('wizard.progress.label')} />
        <ol className="steps">
          {SETUP_PHASES.map((p) => (
            <li key={p} data-state={states[p]}>
              <span className={`badge badge-${states[p] === 'done' ? 'ok' : states[p] === 'active' ? 'warn' : 'muted'}`}>
                {t(`wizard.progress.state.${states[p]}`)}
              </span>
              {t(`wizard.progress.phase.${p}`)}
            </li>
          ))}
        </ol>
        {error !== undefined && <ErrorNotice error={error} context="activation" onRetry={() => void start()} />}
        {error !== undefined && <div className="actions"><Button kind="quiet" onClick={back}>{t('common.back')}</Button></div>}
      </div>
    );
  }
  return (
    <form onSubmit={(e) => { e.preventDefault(); void start(); }}>
      <p>{t('wizard.review.intro')}</p>
      <dl className="review">
        <dt>{t('wizard.review.owner')}</dt><dd>{ownerName.trim().toLowerCase()}</dd>
        <dt>{t('wizard.review.zone')}</dt><dd>{zoneName.trim().toLowerCase()}</dd>
        <dt>{t('wizard.review.words')}</dt><dd>{t(wordsMode === 'restore' ? 'wizard.review.wordsRestored' : 'wizard.review.wordsNew')}</dd>
        <dt>{t('wizard.review.password')}</dt><dd>{t('wizard.review.passwordSet')}</dd>
      </dl>
      <label className="choice" style={{ marginTop: 'var(--space-4)' }}>
        <input type="checkbox" checked={delegateDevices} onChange={(e) => set({ delegateDevices: e.target.checked })} data-choice="delegate-devices" />
        <span><strong>{t('wizard.review.delegate')}</strong><br /><span className="muted">{t('wizard.review.delegateHint')}</span></span>
      </label>
      <p className="muted">{t('wizard.review.keyStays')}</p>
      <div className="actions">
        <Button kind="quiet" onClick={back} disabled={running}>{t('common.back')}</Button>
        <span className="spacer" />
        <Button kind="primary" type="submit" disabled={running}>{t('wizard.review.start')}</Button>
      </div>
    </form>
  );
}
