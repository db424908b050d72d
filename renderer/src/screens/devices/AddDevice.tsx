// Adding a device: the ones waiting on the LAN (control-panel device.scan), pairing by the device's QR
// code (camera, a picture, or the pasted text), approval with the name and the pairing code, and the
// other way round a QR code a phone scans to open this home cloud's sign-in page.
import { lazy, Suspense, useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { DiscoveredDevice, PairingInfo } from '../../../../kernel/api/devices';
import { PanelError, kernelOrigin } from '../../api/krpc';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { DelegationNotice } from './Delegation';
import { ownerKit } from '../../api/owner-kit';
import { NAME_RE, suggestName } from './pairing';
import { useDevices } from './store';
import { devicePath, LIST_PATH } from './useSubPath';

const QrReader = lazy(() => import('./QrReader'));
const PhoneQr = lazy(() => import('./PhoneQr'));

/** What an approval starts from: a device found on the LAN, or a pairing URL. */
interface Candidate {
  key: string;
  name?: string;
  address: string;
  device_url: string;
  fingerprint: string;
  pairing_code?: string;
  arch?: string;
}

const fromFound = (d: DiscoveredDevice): Candidate => ({ key: d.fingerprint, name: d.name, address: d.address, device_url: d.join_url, fingerprint: d.fingerprint, arch: d.arch });
const fromPairing = (p: PairingInfo): Candidate => ({ key: p.fingerprint, name: p.name, address: new URL(p.join_url).host, device_url: p.join_url, fingerprint: p.fingerprint, pairing_code: p.pairing_code });

export function AddDevicePage() {
  const { t } = useTranslation();
  const [added, setAdded] = useState<string>();
  return (
    <div data-screen="add-device" className="devices-page">
      <a className="back-link" href={LIST_PATH}>← {t('devices.detail.back')}</a>
      <div className="topbar"><h1 tabIndex={-1}>{t('devices.addPage.title')}</h1></div>
      <p className="muted">{t('devices.addPage.intro')}</p>
      <DelegationNotice />
      {added ? <Added name={added} onAnother={() => setAdded(undefined)} /> : (
        <div className="stack">
          <FoundOnNetwork onAdded={setAdded} />
          <PairByCode onAdded={setAdded} />
          <section className="card" aria-labelledby="phone-title">
            <h2 id="phone-title">{t('devices.phone.title')}</h2>
            <Suspense fallback={<p className="muted">{t('common.loading')}</p>}><PhoneQr url={`${kernelOrigin()}/`} /></Suspense>
          </section>
        </div>
      )}
    </div>
  );
}

function Added({ name, onAnother }: { name: string; onAnother: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="notice notice-ok" role="status" data-added={name}>
      <p><strong>{t('devices.addPage.added', { name })}</strong></p>
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
        <a className="btn btn-primary" href={devicePath(name)}>{name}</a>
        <a className="btn" href={LIST_PATH}>{t('devices.addPage.seeDevices')}</a>
        <Button kind="quiet" onClick={onAnother}>{t('devices.addPage.addAnother')}</Button>
      </div>
    </div>
  );
}

/** Devices waiting on the LAN; `compact` (on the list page) shows nothing when none is waiting. */
export function FoundOnNetwork({ compact = false, onAdded }: { compact?: boolean; onAdded?: (name: string) => void }) {
  const { t } = useTranslation();
  const { found, scanning, scanError, scan, scannedAt } = useDevices();
  const [chosen, setChosen] = useState<string>();
  const [added, setAdded] = useState<string>();
  useEffect(() => { void scan(); }, [scan]);
  // UNAVAILABLE: the main server does not look on the LAN (it listens on a loopback address only, or
  // UDP 2980 could not be opened); pairing by code still works.
  const off = scanError instanceof PanelError && scanError.code === 'UNAVAILABLE';
  if (compact && found.length === 0 && !added) return null;
  if (compact && added) return <div className="notice notice-ok" role="status" data-added={added}><p>{t('devices.addPage.added', { name: added })}</p></div>;
  return (
    <section className={compact ? '' : 'card'} aria-labelledby="found-title" data-found={found.length} style={compact ? { marginBottom: 'var(--space-5)' } : undefined}>
      <div className="found-head" style={{ marginBottom: 'var(--space-3)' }}>
        <h2 id="found-title" style={{ margin: 0, fontSize: compact ? 'var(--text-l)' : undefined }}>{t('devices.addPage.found')}</h2>
        {!compact && !off && <Button onClick={() => void scan()} disabled={scanning}>{t('devices.addPage.scanAgain')}</Button>}
      </div>
      {off && <p className="muted" data-empty="found">{t('devices.addPage.scanOff')}</p>}
      {scanError !== undefined && !off && <ErrorNotice error={scanError} onRetry={() => void scan()} />}
      {scanning && found.length === 0 && <p className="muted" role="status">{t('devices.addPage.scanning')}</p>}
      {!scanning && scannedAt !== undefined && found.length === 0 && <p className="muted" data-empty="found">{t('devices.addPage.noneFound')}</p>}
      {found.map((d) => (
        <div key={d.fingerprint} className="found" data-found-device={d.name}>
          <div className="found-head">
            <div>
              <strong>{d.name}</strong> <span className="muted">{t('devices.addPage.at', { address: d.address })} · {d.arch}</span>
            </div>
            {chosen !== d.fingerprint && (
              <Button kind="primary" onClick={() => setChosen(d.fingerprint)} aria-label={t('devices.addPage.chooseNamed', { name: d.name })} data-action="choose">
                {t('devices.addPage.choose')}
              </Button>
            )}
          </div>
          {chosen === d.fingerprint && (
            <ApproveForm candidate={fromFound(d)} onCancel={() => setChosen(undefined)} onAdded={(name) => { setChosen(undefined); setAdded(name); onAdded?.(name); }} />
          )}
        </div>
      ))}
    </section>
  );
}

function PairByCode({ onAdded }: { onAdded: (name: string) => void }) {
  const { t } = useTranslation();
  const [candidate, setCandidate] = useState<Candidate>();
  const [problem, setProblem] = useState<string>();
  const [pasted, setPasted] = useState('');
  const pasteId = useId();
  const take = (text: string) => {
    const r = ownerKit().parsePairingUrl(text);
    if (!r.ok) { setProblem(`devices.pair.bad.${r.problem}`); setCandidate(undefined); return; }
    setProblem(undefined);
    setCandidate(fromPairing(r.info));
  };
  return (
    <section className="card" aria-labelledby="pair-title" data-pair>
      <h2 id="pair-title">{t('devices.pair.title')}</h2>
      <p className="muted">{t('devices.pair.intro')}</p>
      {candidate ? (
        <div className="found" data-paired={candidate.fingerprint}>
          <p>{t('devices.pair.foundDevice', { name: candidate.name ?? candidate.address, address: candidate.address })}</p>
          <ApproveForm candidate={candidate} onCancel={() => setCandidate(undefined)} onAdded={onAdded} />
        </div>
      ) : (
        <>
          <Suspense fallback={<p className="muted">{t('common.loading')}</p>}>
            <QrReader onText={take} />
          </Suspense>
          <form className="field" style={{ marginTop: 'var(--space-4)' }} onSubmit={(e) => { e.preventDefault(); take(pasted); }}>
            <label htmlFor={pasteId}>{t('devices.pair.pasteLabel')}</label>
            <div style={{ display: 'flex', gap: 'var(--space-2)' }}>
              <input id={pasteId} value={pasted} onChange={(e) => setPasted(e.target.value)} spellCheck={false} autoComplete="off"
                aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${pasteId}-problem` : undefined} data-input="pairing-text" />
              <Button type="submit" disabled={pasted.trim() === ''} style={{ flex: 'none', whiteSpace: 'nowrap' }}>{t('devices.pair.read')}</Button>
            </div>
            {problem && <span id={`${pasteId}-problem`} className="field-error" role="alert">{t(problem)}</span>}
          </form>
        </>
      )}
    </section>
  );
}

/** Name + pairing code (prefilled from a QR) + the fingerprint to compare, then device.approve. */
function ApproveForm({ candidate, onCancel, onAdded }: { candidate: Candidate; onCancel: () => void; onAdded: (name: string) => void }) {
  const { t } = useTranslation();
  const { devices, approve } = useDevices();
  const taken = devices.map((d) => d.name);
  const [name, setName] = useState(() => suggestName(candidate.name, taken));
  const [code, setCode] = useState(candidate.pairing_code ?? '');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const nameProblem = !NAME_RE.test(name) ? t('devices.addPage.nameInvalid') : taken.includes(name) ? t('devices.addPage.nameTaken') : undefined;
  const canonical = ownerKit().canonicalPairingCode(code);
  const codeProblem = touched && !canonical ? t('devices.addPage.codeInvalid') : undefined;
  return (
    <form data-approve={candidate.fingerprint} style={{ marginTop: 'var(--space-3)' }} onSubmit={async (e) => {
      e.preventDefault();
      setTouched(true);
      if (nameProblem || !canonical) return;
      setBusy(true);
      setError(undefined);
      try {
        const r = await approve({ name, device_url: candidate.device_url, pairing_code: canonical, fingerprint: candidate.fingerprint });
        onAdded(r.name);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    }}>
      <Field label={t('devices.addPage.name')} hint={t('devices.addPage.nameHint')} value={name} onChange={(e) => setName(e.target.value.trim().toLowerCase())}
        error={nameProblem} autoComplete="off" spellCheck={false} data-input="device-name" />
      {candidate.pairing_code === undefined && (
        <Field label={t('devices.addPage.code')} hint={t('devices.addPage.codeHint')} value={code} onChange={(e) => setCode(e.target.value)}
          onBlur={() => setTouched(true)} error={codeProblem} autoComplete="off" spellCheck={false} className="code-text" data-input="pairing-code" autoFocus />
      )}
      <p>
        <span className="muted">{t('devices.addPage.fingerprint')}: </span><strong className="code-text" data-fingerprint>{candidate.fingerprint}</strong><br />
        <span className="muted" style={{ fontSize: 'var(--text-s)' }}>{t('devices.addPage.fingerprintHint')}</span>
      </p>
      {error !== undefined && <ApproveError error={error} />}
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
        <Button kind="primary" type="submit" disabled={busy} data-action="approve">{busy ? t('devices.addPage.approving') : t('devices.addPage.approve')}</Button>
        <Button kind="quiet" onClick={onCancel}>{t('common.cancel')}</Button>
      </div>
    </form>
  );
}

/** Approval errors in the words of adding a device; the general sentence for anything else. */
function ApproveError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const specific = error instanceof PanelError && ['INTEGRITY', 'PERMISSION_DENIED', 'ALREADY_EXISTS', 'ALREADY_ACTIVATED', 'UNREACHABLE'].includes(error.code) ? error.code : undefined;
  if (error instanceof PanelError && error.code === 'FAILED_PRECONDITION' && /delegation/i.test(error.detail))
    return <div className="notice notice-bad" role="alert" data-error-code="delegation"><p>{t('devices.addPage.delegationMissing')}</p></div>;
  if (!specific) return <ErrorNotice error={error} />;
  return (
    <div className="notice notice-bad" role="alert" data-error-code={specific}>
      <strong>{t(`devices.approveErrors.${specific}.what`)}</strong>
      <p>{t(`devices.approveErrors.${specific}.next`)}</p>
      <details><summary>{t('common.details')}</summary><pre>{(error as PanelError).detail}</pre></details>
    </div>
  );
}
