// People: who can sign in, their role, which apps each may use; add, switch off or on, reset a
// password, remove (with a confirm that says what happens). Every change asks for the owner's
// password first (sudo); a person who may not see this list reads the kernel's refusal in plain words.
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { PersonAppAccess, PersonType, UserSummary } from '../../../../kernel/api/index';
import { PanelError } from '../../api/krpc';
import { ROUTES } from '../../app/router';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Field } from '../../components/Field';
import { useSession } from '../../stores/session';
import { isSudoCancelled } from '../../stores/sudo';
import { MIN_PASSWORD_LENGTH, passwordStrength } from '../wizard/strength';
import { userIdOf, usePeople, type ZoneApp } from './store';

const USER_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const ROLE_BADGE: Record<string, string> = { admin: 'badge-ok', user: 'badge-muted', limited: 'badge-warn' };

/** Runs an intent; a closed password dialog is not an error. */
async function attempt(run: () => Promise<void>, setError: (e: unknown) => void): Promise<boolean> {
  setError(undefined);
  try {
    await run();
    return true;
  } catch (e) {
    if (!isSudoCancelled(e)) setError(e);
    return false;
  }
}

function PasswordField({ label, value, onChange, personal }: { label: string; value: string; onChange(v: string): void; personal: string[] }) {
  const { t } = useTranslation();
  const score = passwordStrength(value, personal);
  return (
    <Field label={label} type="password" value={value} autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH}
      onChange={(e) => onChange(e.target.value)}
      hint={t('people.passwordHint')}
      after={value ? (
        <>
          <div className="meter" data-score={score} aria-hidden="true"><span /><span /><span /><span /></div>
          <span className="hint" aria-live="polite">{t('people.strength', { level: t(`people.levels.${score}`) })}</span>
        </>
      ) : undefined} />
  );
}

function AppChecks({ apps, checked, onChange, legend, owner }: { apps: ZoneApp[]; checked: Record<string, boolean>; onChange(id: string, on: boolean): void; legend: string; owner?: string }) {
  const { t } = useTranslation();
  return (
    <fieldset className="checks">
      <legend>{legend}</legend>
      {apps.length === 0 ? <p className="muted">{t('people.noApps')}</p> : apps.map((a) => (
        <label key={a.id} className="check">
          <input type="checkbox" checked={a.owner === owner || (checked[a.id] ?? false)} disabled={a.owner === owner}
            onChange={(e) => onChange(a.id, e.target.checked)} data-app-check={a.name} />
          <span>{a.name}{a.owner === owner && <span className="muted"> · {t('people.owns')}</span>}</span>
        </label>
      ))}
    </fieldset>
  );
}

function AddPerson({ onDone }: { onDone(name: string): void }) {
  const { t } = useTranslation();
  const { apps, add } = usePeople();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [type, setType] = useState<PersonType>('user');
  const [allowed, setAllowed] = useState<Record<string, boolean>>(() => Object.fromEntries(apps.map((a) => [a.id, true])));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const id = userIdOf(name);
  const nameError = name && !USER_ID.test(id) ? t('people.nameInvalid') : undefined;
  const ready = name.trim() !== '' && !nameError && passwordStrength(password, [name]) > 0;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const ok = await attempt(() => add({ name, password, type, apps: apps.filter((a) => allowed[a.id]).map((a) => a.id) }), setError);
    setBusy(false);
    if (ok) onDone(name.trim());
  };

  return (
    <section className="card" aria-labelledby="add-title" data-form="add-person" style={{ marginBottom: 'var(--space-5)' }}>
      <h2 id="add-title">{t('people.addTitle')}</h2>
      {error !== undefined && <ErrorNotice error={error} />}
      <form onSubmit={submit}>
        <div className="form-grid">
          <div>
            <Field label={t('people.name')} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" autoCapitalize="none" spellCheck={false}
              required hint={t('people.nameHint')} error={nameError} autoFocus />
            <PasswordField label={t('people.password')} value={password} onChange={setPassword} personal={[name]} />
            <div className="field">
              <label htmlFor="person-role">{t('people.role')}</label>
              <select id="person-role" value={type} onChange={(e) => setType(e.target.value as PersonType)} aria-describedby="person-role-hint">
                {(['user', 'admin'] as const).map((r) => <option key={r} value={r}>{t(`people.roles.${r}`)}</option>)}
              </select>
              <span id="person-role-hint" className="hint">{t(`people.roleHints.${type === 'admin' ? 'admin' : 'user'}`)}</span>
            </div>
          </div>
          <div>
            <AppChecks apps={apps} checked={allowed} legend={t('people.appsLegend')} onChange={(app, on) => setAllowed({ ...allowed, [app]: on })} />
            {apps.length > 0 && <p className="hint muted">{t('people.appsLater')}</p>}
          </div>
        </div>
        <div className="actions">
          <Button kind="quiet" onClick={() => onDone('')}>{t('common.cancel')}</Button>
          <Button kind="primary" type="submit" disabled={busy || !ready}>{busy ? t('people.creating') : t('people.create', { name: name.trim() || '…' })}</Button>
        </div>
      </form>
    </section>
  );
}

type Panel = 'access' | 'password' | 'remove' | undefined;

function Person({ person, me }: { person: UserSummary; me: boolean }) {
  const { t } = useTranslation();
  const { apps, access, loadAccess, setApps, resetPassword, setActive, remove } = usePeople();
  const [panel, setPanel] = useState<Panel>();
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [password, setPassword] = useState('');
  const [allowed, setAllowed] = useState<Record<string, boolean>>({});
  const name = person.user_id;
  const active = person.state === 'active';
  const rowId = `person-${name}`;

  const open = async (next: Panel) => {
    setDone(undefined);
    setError(undefined);
    if (panel === next) return setPanel(undefined);
    setPanel(next);
    if (next === 'access') {
      await attempt(async () => {
        const list: PersonAppAccess[] = await loadAccess(name);
        setAllowed(Object.fromEntries(list.map((a) => [a.app_instance_id, a.allowed])));
      }, setError);
    }
  };
  const run = async (what: () => Promise<void>, message?: string) => {
    setBusy(true);
    const ok = await attempt(what, setError);
    setBusy(false);
    if (ok) {
      setDone(message);
      if (panel !== 'access') setPanel(undefined);
    }
    return ok;
  };

  return (
    <li data-person={name} data-state={person.state} aria-labelledby={rowId} className="person">
      <div style={{ flex: 1, minWidth: 0 }}>
        <div>
          <strong id={rowId}>{name}</strong>{me && <span className="muted"> ({t('people.you')})</span>}{' '}
          <span className={`badge ${ROLE_BADGE[person.user_type] ?? 'badge-muted'}`}>{t(`people.roles.${person.user_type}`)}</span>{' '}
          {!active && <span className="badge badge-bad" data-badge="off">{t(`people.state.${person.state === 'deleted' ? 'deleted' : 'suspended'}`)}</span>}
        </div>
      </div>
      <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-end', maxWidth: 460 }}>
        <Button aria-expanded={panel === 'access'} aria-label={`${t('people.access')}: ${name}`} onClick={() => void open('access')}>{t('people.access')}</Button>
        <Button aria-expanded={panel === 'password'} aria-label={`${t('people.resetPassword')}: ${name}`} onClick={() => void open('password')}>{t('people.resetPassword')}</Button>
        {!me && (active
          ? <Button aria-label={`${t('people.switchOff')}: ${name}`} disabled={busy} onClick={() => void run(() => setActive(name, false), t('people.switchedOff', { name }))}>{t('people.switchOff')}</Button>
          : <Button aria-label={`${t('people.switchOn')}: ${name}`} disabled={busy} onClick={() => void run(() => setActive(name, true))}>{t('people.switchOn')}</Button>)}
        {!me && <Button kind="danger" aria-label={`${t('people.remove')}: ${name}`} aria-expanded={panel === 'remove'} onClick={() => void open('remove')}>{t('people.remove')}</Button>}
      </div>
      <div className="person-panel">
        {done && <p className="notice notice-ok" role="status">{done}</p>}
        {error !== undefined && <ErrorNotice error={error} />}
        {panel === 'access' && access[name] && (
          <form className="panel" onSubmit={(e) => { e.preventDefault(); void run(() => setApps(name, Object.fromEntries(apps.filter((a) => a.owner !== name).map((a) => [a.id, allowed[a.id] ?? false]))), t('people.saved')); }}>
            <AppChecks apps={apps} checked={allowed} owner={name} legend={t('people.accessOf', { name })} onChange={(app, on) => setAllowed({ ...allowed, [app]: on })} />
            <div className="actions" style={{ justifyContent: 'flex-start', marginTop: 'var(--space-3)' }}>
              <Button kind="primary" type="submit" disabled={busy || apps.length === 0}>{t('people.save')}</Button>
              <Button kind="quiet" onClick={() => setPanel(undefined)}>{t('people.close')}</Button>
            </div>
          </form>
        )}
        {panel === 'password' && (
          <form className="panel" onSubmit={(e) => { e.preventDefault(); void run(() => resetPassword(name, password), t('people.passwordSet', { name })).then((ok) => ok && setPassword('')); }}>
            <PasswordField label={t('people.newPassword', { name })} value={password} onChange={setPassword} personal={[name]} />
            <div className="actions" style={{ justifyContent: 'flex-start', marginTop: 0 }}>
              <Button kind="primary" type="submit" disabled={busy || passwordStrength(password, [name]) === 0}>{t('people.setPassword')}</Button>
              <Button kind="quiet" onClick={() => setPanel(undefined)}>{t('common.cancel')}</Button>
            </div>
          </form>
        )}
        {panel === 'remove' && (
          <div className="notice notice-warn" role="alertdialog" aria-labelledby={`remove-${name}`}>
            <p id={`remove-${name}`}>{t('people.removeConfirm', { name, id: name })}</p>
            <div className="actions" style={{ marginTop: 0, justifyContent: 'flex-start' }}>
              <Button kind="danger" disabled={busy} onClick={() => void run(() => remove(name))}>{t('people.removeYes', { name })}</Button>
              <Button kind="quiet" onClick={() => setPanel(undefined)}>{t('common.cancel')}</Button>
            </div>
          </div>
        )}
      </div>
    </li>
  );
}

export default function PeopleScreen() {
  const { t } = useTranslation();
  const { loading, error, people, load } = usePeople();
  const me = useSession((s) => s.user);
  const [adding, setAdding] = useState(false);
  const [added, setAdded] = useState<string>();
  useEffect(() => { void load(); }, [load]);
  const refused = error instanceof PanelError && error.code === 'PERMISSION_DENIED';
  const permissionsReady = (ROUTES as readonly string[]).includes('permissions');

  return (
    <div data-screen="people">
      <div className="topbar">
        <h1 id="people-title">{t('people.title')}</h1>
        <div className="actions" style={{ marginTop: 0 }}>
          {permissionsReady && <a className="btn btn-quiet" href="#/permissions">{t('people.permissions')}</a>}
          <Button onClick={() => void load()} disabled={loading}>{t('common.refresh')}</Button>
          {!refused && !adding && <Button kind="primary" onClick={() => { setAdded(undefined); setAdding(true); }}>{t('people.add')}</Button>}
        </div>
      </div>
      <p className="muted">{t('people.intro')}</p>
      {refused ? (
        <div className="notice notice-warn" role="alert" data-refused="people">
          <strong>{t('people.refused.what')}</strong>
          <p>{t('people.refused.next')}</p>
          <details><summary>{t('common.details')}</summary><pre>{error.detail}</pre></details>
        </div>
      ) : error !== undefined && <ErrorNotice error={error} onRetry={() => void load()} />}
      {added && <p className="notice notice-ok" role="status" data-added={added}>{t('people.added', { name: added })}</p>}
      {adding && <AddPerson onDone={(name) => { setAdding(false); if (name) setAdded(name); }} />}
      {!refused && (
        <section className="card" aria-labelledby="people-title">
          {loading && people.length === 0 ? <p className="muted" role="status">{t('common.loading')}</p>
            : <ul className="list">{people.map((p) => <Person key={p.user_id} person={p} me={p.user_id === me} />)}</ul>}
          {!loading && people.length <= 1 && <p className="muted" data-empty="people">{t('people.empty')}</p>}
        </section>
      )}
    </div>
  );
}
