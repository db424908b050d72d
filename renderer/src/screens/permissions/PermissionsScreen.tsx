// Permissions: roles, "what can … do?", "who can … ?", the rule editor with the kernel's verdict on the
// draft (what it gains and loses for whom, which policy tests it breaks), and the save, refused while
// a test fails. The raw answers are one click away, never first.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import type { Decision, PolicyTest, RbacAction, SubjectRef } from '../../../../kernel/api/permissions';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { say } from '../scheduler/say';
import { areaSentence, groupChanges, groupRows, lineSentence, memberSentence, parseSubjectKey, subjectKey, subjectSentence } from './words';
import { isDirty, usePermissions } from './store';
import '../insight.css';

function DecisionBadge({ d }: { d: Decision }) {
  const { t } = useTranslation();
  return <span className={`badge ${d.allowed ? 'badge-ok' : 'badge-bad'}`}><span aria-hidden="true">{d.allowed ? '✓' : '✕'}</span> {t(d.allowed ? 'permissions.decision.allow' : 'permissions.decision.deny')}</span>;
}

const who = (t: TFunction, s: SubjectRef) => say(t, subjectSentence(s));

export default function PermissionsScreen() {
  const { t } = useTranslation();
  const p = usePermissions();
  const { load } = p;
  useEffect(() => { void load(); }, [load]);
  return (
    <div data-screen="permissions">
      <div className="topbar">
        <h1>{t('permissions.title')}</h1>
        <Button onClick={() => void load()} disabled={p.loading}>{t('common.refresh')}</Button>
      </div>
      <p className="muted">{t('permissions.intro')}</p>
      {p.error !== undefined && <ErrorNotice error={p.error} onRetry={() => void load()} />}
      {!p.state && p.loading && <p className="muted" role="status">{t('common.loading')}</p>}
      {p.state && (
        <>
          <WhatCan />
          <WhoCanSection />
          <Editor />
          <Roles />
        </>
      )}
    </div>
  );
}

function WhatCan() {
  const { t } = useTranslation();
  const { state, subject, preview, previewError, pick, draft, draftTests } = usePermissions();
  const dirty = isDirty({ state, draft, draftTests });
  if (!state) return null;
  return (
    <section className="card section" aria-labelledby="whatcan-title" data-what-can>
      <h2 id="whatcan-title">{t('permissions.whatCan.title')}</h2>
      <div className="matrix-tools">
        <label className="field inline">
          <span>{t('permissions.whatCan.who')}</span>
          <select value={subject ? subjectKey(subject) : ''} data-subject onChange={(e) => { const s = parseSubjectKey(e.target.value); if (s) void pick(s); }}>
            <option value="" disabled>{t('permissions.whatCan.pick')}</option>
            {state.subjects.map((s) => <option key={subjectKey(s)} value={subjectKey(s)}>{who(t, s)}</option>)}
          </select>
        </label>
      </div>
      {previewError !== undefined && <ErrorNotice error={previewError} />}
      {preview && (
        <>
          {dirty && <p className="notice notice-warn" data-proposed>{t('permissions.whatCan.proposed')}</p>}
          <table className="decisions" data-preview={subjectKey(preview.subject)}>
            <thead><tr><th scope="col">{t('permissions.whatCan.area')}</th><th scope="col">{t('permissions.whatCan.read')}</th><th scope="col">{t('permissions.whatCan.write')}</th><th scope="col">{t('permissions.whatCan.decidedBy')}</th></tr></thead>
            <tbody>
              {groupRows(preview.areas, (a) => say(t, areaSentence(a.area))).map((a) => (
                <tr key={a.area} data-area={a.area} data-areas={a.areas.join(' ')} data-read={a.read.allowed} data-write={a.write.allowed}>
                  <td><strong>{say(t, areaSentence(a.area))}</strong><div className="muted">{t('permissions.whatCan.keys', { count: a.keys, example: a.example })}</div></td>
                  <td><DecisionBadge d={a.read} /></td>
                  <td><DecisionBadge d={a.write} /></td>
                  <td><details><summary>{t('common.details')}</summary>
                    {a.reads.map((d, i) => <div key={`r${i}`} className="rule">{t('permissions.whatCan.read')}: {say(t, lineSentence(d))}</div>)}
                    {a.writes.map((d, i) => <div key={`w${i}`} className="rule">{t('permissions.whatCan.write')}: {say(t, lineSentence(d))}</div>)}
                    {a.areas.map((x) => <div key={x} className="muted rule">{x}</div>)}
                  </details></td>
                </tr>
              ))}
            </tbody>
          </table>
          <details className="section">
            <summary>{t('permissions.whatCan.methods')}</summary>
            <table className="decisions">
              <thead><tr><th scope="col">{t('permissions.whatCan.method')}</th><th scope="col">{t('permissions.whatCan.decidedBy')}</th></tr></thead>
              <tbody>{preview.methods.map((m) => (
                <tr key={`${m.service}.${m.method}`}><td><code>{m.service}: {m.method}</code> <DecisionBadge d={m.decision} /></td><td className="rule">{say(t, lineSentence(m.decision))}</td></tr>
              ))}</tbody>
            </table>
          </details>
          <details><summary>{t('permissions.raw')}</summary><pre>{JSON.stringify(preview, null, 2)}</pre></details>
        </>
      )}
    </section>
  );
}

function WhoCanSection() {
  const { t } = useTranslation();
  const { whoCan, whoCanError, askWhoCan } = usePermissions();
  const [key, setKey] = useState('system/rbac/policy');
  const [action, setAction] = useState<RbacAction>('write');
  return (
    <section className="card section" aria-labelledby="whocan-title" data-who-can>
      <h2 id="whocan-title">{t('permissions.whoCan.title')}</h2>
      <form className="matrix-tools" onSubmit={(e) => { e.preventDefault(); void askWhoCan(key.trim(), action); }}>
        <label className="field inline"><span>{t('permissions.whoCan.action')}</span>
          <select value={action} onChange={(e) => setAction(e.target.value as RbacAction)} data-who-action>
            <option value="read">{t('permissions.whatCan.read')}</option><option value="write">{t('permissions.whatCan.write')}</option>
          </select>
        </label>
        <label className="field inline"><span>{t('permissions.whoCan.key')}</span>
          <input value={key} onChange={(e) => setKey(e.target.value)} data-who-key aria-describedby="whocan-hint" />
        </label>
        <Button type="submit" data-who-show>{t('permissions.whoCan.show')}</Button>
      </form>
      <p id="whocan-hint" className="muted">{t('permissions.whoCan.hint')}</p>
      {whoCanError !== undefined && <ErrorNotice error={whoCanError} />}
      {whoCan && (
        <div data-who-result>
          <h3>{t('permissions.whoCan.allowed', { count: whoCan.allowed.length })}</h3>
          {whoCan.allowed.length === 0 ? <p className="muted">{t('permissions.whoCan.nobody')}</p>
            : <ul className="list">{whoCan.allowed.map((e) => <li key={subjectKey(e.subject)} data-allowed={subjectKey(e.subject)}><span>{who(t, e.subject)}</span><span className="muted rule">{say(t, lineSentence(e.decision))}</span></li>)}</ul>}
          <details><summary>{t('permissions.whoCan.denied', { count: whoCan.denied.length })}</summary>
            <ul className="list">{whoCan.denied.map((e) => <li key={subjectKey(e.subject)}>{who(t, e.subject)}</li>)}</ul>
          </details>
        </div>
      )}
    </section>
  );
}

function Editor() {
  const { t } = useTranslation();
  const s = usePermissions();
  const dirty = isDirty(s);
  const failing = s.check?.tests.filter((r) => !r.passed) ?? [];
  const blocked = !s.check || !s.check.ok || s.checking;
  return (
    <section className="card section" aria-labelledby="editor-title" data-editor>
      <h2 id="editor-title">{t('permissions.editor.title')}</h2>
      <p className="muted">{t('permissions.editor.intro')}</p>
      <details className="section"><summary>{t('permissions.editor.derived')}</summary><pre>{s.state?.derived}</pre></details>
      <label className="field">
        <span>{t('permissions.editor.label')}</span>
        <textarea className="editor" value={s.draft} onChange={(e) => s.setDraft(e.target.value)} spellCheck={false} data-rules />
      </label>
      <Tests />
      <div aria-live="polite" data-check>
        {s.checking && <p className="muted" role="status">{t('permissions.editor.checking')}</p>}
        {s.checkError !== undefined && <ErrorNotice error={s.checkError} />}
        {s.check && s.check.rejected.length > 0 && <p className="notice notice-bad">{t('permissions.editor.rejected', { lines: s.check.rejected.join(' | ') })}</p>}
        {s.check && dirty && (
          <div data-diff>
            <h3>{t('permissions.editor.diff')}</h3>
            {s.check.diff.gains.length === 0 && s.check.diff.losses.length === 0 ? <p className="muted">{t('permissions.editor.noChange')}</p> : (
              <ul className="list">
                {groupChanges(s.check.diff.gains, (g) => say(t, areaSentence(g.area))).map((g, i) => <li key={`g${i}`} className="gain" data-gain={`${subjectKey(g.subject)}|${g.action}|${g.area}`} data-areas={g.areas.join(' ')}><span aria-hidden="true">＋</span> {t('permissions.editor.gain', { who: who(t, g.subject), action: t(g.action === 'read' ? 'permissions.tests.see' : 'permissions.tests.change'), area: say(t, areaSentence(g.area)) })}</li>)}
                {groupChanges(s.check.diff.losses, (l) => say(t, areaSentence(l.area))).map((l, i) => <li key={`l${i}`} className="loss" data-loss={`${subjectKey(l.subject)}|${l.action}|${l.area}`} data-areas={l.areas.join(' ')}><span aria-hidden="true">－</span> {t('permissions.editor.loss', { who: who(t, l.subject), action: t(l.action === 'read' ? 'permissions.tests.see' : 'permissions.tests.change'), area: say(t, areaSentence(l.area)) })}</li>)}
              </ul>
            )}
          </div>
        )}
        {failing.map((r) => (
          <div key={r.name} className="notice notice-bad" role="alert" data-failing-test={r.name}>
            <strong>{t('permissions.tests.failSentence', {
              name: r.name, who: who(t, r.test.subject), got: t(r.decision.allowed ? 'permissions.tests.allowed' : 'permissions.tests.denied'),
              action: t(r.test.action === 'read' ? 'permissions.tests.see' : 'permissions.tests.change'), key: r.test.key,
            })}</strong>
            <details><summary>{t('common.details')}</summary><div className="rule">{say(t, lineSentence(r.decision))}</div></details>
          </div>
        ))}
      </div>
      {s.saveError !== undefined && <ErrorNotice error={s.saveError} />}
      {s.saved && !dirty && <p className="notice notice-ok" role="status" data-saved>{t('permissions.editor.saved')}</p>}
      <p className="muted">{t('permissions.editor.sudo')}</p>
      <div className="actions">
        {failing.length > 0 && <span className="muted" data-blocked>{t('permissions.editor.blocked')}</span>}
        <Button kind="quiet" onClick={s.reset} disabled={!dirty}>{t('permissions.editor.reset')}</Button>
        <Button kind="primary" onClick={() => void s.save()} disabled={!dirty || blocked || s.saving} data-save>{t(s.saving ? 'permissions.editor.saving' : 'permissions.editor.save')}</Button>
      </div>
    </section>
  );
}

function Tests() {
  const { t } = useTranslation();
  const { draftTests, setTests, check, state } = usePermissions();
  const people = (state?.subjects ?? []).filter((s) => s.kind === 'person');
  const [draft, setDraft] = useState<PolicyTest>({ name: '', subject: people[0] ?? { kind: 'person', user: '' }, key: '', action: 'read', expect: 'allow' });
  const result = (name: string) => check?.tests.find((r) => r.name === name);
  const add = () => {
    if (!draft.name.trim() || !draft.key.trim()) return;
    setTests([...draftTests, { ...draft, name: draft.name.trim(), key: draft.key.trim() }]);
    setDraft({ ...draft, name: '', key: '' });
  };
  return (
    <div className="section" data-tests>
      <h3>{t('permissions.tests.title')}</h3>
      <p className="muted">{t('permissions.tests.intro')}</p>
      {draftTests.length === 0 ? <p className="muted">{t('permissions.tests.none')}</p> : (
        <ul className="list">
          {draftTests.map((test) => {
            const r = result(test.name);
            return (
              <li key={test.name} data-test={test.name}>
                <div style={{ flex: 1 }}>
                  <strong>{test.name}</strong>
                  <div className="muted">{t('permissions.tests.sentence', { who: who(t, test.subject), expect: t(test.expect === 'allow' ? 'permissions.tests.allowed' : 'permissions.tests.denied'), action: t(test.action === 'read' ? 'permissions.tests.see' : 'permissions.tests.change'), key: test.key })}</div>
                </div>
                {r && <span className={`badge ${r.passed ? 'badge-ok' : 'badge-bad'}`}>{t(r.passed ? 'permissions.tests.pass' : 'permissions.tests.fail')}</span>}
                <Button kind="quiet" onClick={() => setTests(draftTests.filter((x) => x.name !== test.name))} aria-label={`${t('permissions.tests.remove')}: ${test.name}`}>{t('permissions.tests.remove')}</Button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="test-row">
        <label className="field"><span>{t('permissions.tests.name')}</span><input value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} data-test-name /></label>
        <label className="field"><span>{t('permissions.tests.who')}</span>
          <select value={draft.subject.kind === 'person' ? draft.subject.user : ''} onChange={(e) => setDraft({ ...draft, subject: { kind: 'person', user: e.target.value } })} data-test-who>
            {people.map((s) => s.kind === 'person' && <option key={s.user} value={s.user}>{s.user}</option>)}
          </select>
        </label>
        <label className="field"><span>{t('permissions.tests.action')}</span>
          <select value={draft.action} onChange={(e) => setDraft({ ...draft, action: e.target.value as RbacAction })} data-test-action>
            <option value="read">{t('permissions.tests.see')}</option><option value="write">{t('permissions.tests.change')}</option>
          </select>
        </label>
        <label className="field"><span>{t('permissions.tests.key')}</span><input value={draft.key} onChange={(e) => setDraft({ ...draft, key: e.target.value })} data-test-key /></label>
        <label className="field"><span>{t('permissions.tests.expect')}</span>
          <select value={draft.expect} onChange={(e) => setDraft({ ...draft, expect: e.target.value as 'allow' | 'deny' })} data-test-expect>
            <option value="allow">{t('permissions.tests.allowed')}</option><option value="deny">{t('permissions.tests.denied')}</option>
          </select>
        </label>
        <Button onClick={add} data-test-add>{t('permissions.tests.add')}</Button>
      </div>
    </div>
  );
}

function Roles() {
  const { t, i18n } = useTranslation();
  const roles = usePermissions((s) => s.state?.roles ?? []);
  const shown = roles.filter((r) => r.members.length > 0 || !r.builtin);
  return (
    <section className="card section" aria-labelledby="roles-title" data-roles>
      <h2 id="roles-title">{t('permissions.roles.title')}</h2>
      <ul className="list">
        {shown.map((r) => (
          <li key={r.role} data-role={r.role}>
            <div style={{ flex: 1 }}>
              <strong>{i18n.exists(`permissions.roles.name.${r.role}`) ? t(`permissions.roles.name.${r.role}`) : r.role}</strong> <span className="badge badge-muted">{t(r.builtin ? 'permissions.roles.builtin' : 'permissions.roles.custom')}</span>
              <div className="muted">{t('permissions.roles.members')}: {r.members.length === 0 ? t('permissions.roles.none') : r.members.map((m) => { const w = memberSentence(m); return typeof w === 'string' ? w : say(t, w); }).join(', ')}</div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
