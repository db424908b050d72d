// "Where apps run" (the scheduler inspector): a map of devices and what they run, each placement's
// reason in plain words, the app × device table with "why not here?", a time slider over the kept
// decisions and what changed between two of them. The raw snapshot is one click away, never first.
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/Button';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Matrix } from './Matrix';
import { actionSentence, changeSentence, inputSentence, reasonSentence, whyNotSentence } from './reasons';
import { appLabel, say, timeLabel } from './say';
import { useScheduler } from './store';
import '../insight.css';

/** A big home cloud lists this many placements (and apps per device) at first; the table has them all. */
const FIRST = 40;

const STATUS_BADGE: Record<string, string> = { ready: 'badge-ok', 'not-ready': 'badge-warn', gone: 'badge-bad', unschedulable: 'badge-muted' };

export default function SchedulerScreen() {
  const { t, i18n } = useTranslation();
  const s = useScheduler();
  const { load } = s;
  useEffect(() => { void load(); }, [load]);
  const [showKernel, setShowKernel] = useState(false);
  const [all, setAll] = useState(false);
  const snap = s.snapshot;
  const kinds = useMemo(() => new Map((snap?.specs ?? []).map((x) => [x.spec_id, x.kind])), [snap]);
  const byNode = useMemo(() => {
    const m = new Map<string, NonNullable<typeof snap>['placements']>();
    for (const p of snap?.placements ?? []) m.set(p.node, [...(m.get(p.node) ?? []), p]);
    return m;
  }, [snap]);
  const listed = (snap?.placements ?? []).filter((p) => showKernel || kinds.get(p.spec_id) === 'app');
  const revIndex = snap ? s.revisions.indexOf(snap.rev) : -1;

  return (
    <div data-screen="scheduler">
      <div className="topbar">
        <h1>{t('scheduler.title')}</h1>
        <Button onClick={() => void load()} disabled={s.loading}>{t('common.refresh')}</Button>
      </div>
      <p className="muted">{t('scheduler.intro')}</p>
      {s.error !== undefined && <ErrorNotice error={s.error} onRetry={() => void load()} />}
      {!snap && s.loading && <p className="muted" role="status">{t('common.loading')}</p>}
      {snap && (
        <>
          <section className="card section" aria-labelledby="history-title">
            <h2 id="history-title">{t('scheduler.history.label')}</h2>
            <input type="range" min={0} max={Math.max(0, s.revisions.length - 1)} value={Math.max(0, revIndex)} disabled={s.revisions.length < 2}
              aria-label={t('scheduler.history.label')} aria-valuetext={t('scheduler.history.at', { rev: snap.rev, count: s.latest ?? snap.rev, time: timeLabel(snap.schedule_time, i18n.language) })}
              onChange={(e) => void s.showRev(s.revisions[Number(e.target.value)])} data-history style={{ width: '100%' }} />
            <p data-history-label>{t('scheduler.history.at', { rev: snap.rev, count: s.latest ?? snap.rev, time: timeLabel(snap.schedule_time, i18n.language) })}
              {snap.rev === s.latest && <> · <span className="badge badge-ok">{t('scheduler.history.latest')}</span></>}</p>
            <p className="muted">{t('scheduler.history.hint')}</p>
          </section>

          <section className="card section" aria-labelledby="map-title">
            <h2 id="map-title">{t('scheduler.map.title')}</h2>
            <div className="grid">
              {snap.nodes.map((n) => {
                const here = (byNode.get(n.node) ?? []).filter((p) => p.target_state === 'started' && (showKernel || kinds.get(p.spec_id) === 'app'));
                return (
                  <div key={n.node} className="node-card" data-node={n.node}>
                    <h3>{n.node}</h3>
                    <span className={`badge ${STATUS_BADGE[n.status] ?? 'badge-muted'}`}>{t(`scheduler.status.${n.status}`)}</span>
                    <p className="muted">{say(t, reasonSentence(n.reason, n.node))}</p>
                    {here.length === 0 ? <p className="muted">{t('scheduler.map.none')}</p>
                      : <ul className="chips">{here.slice(0, 12).map((p) => <li key={p.instance_id} data-instance={p.instance_id}>{appLabel(p.spec_id)}</li>)}
                        {here.length > 12 && <li>{t('scheduler.map.more', { count: here.length - 12 })}</li>}</ul>}
                  </div>
                );
              })}
            </div>
          </section>

          <section className="card section" aria-labelledby="placements-title">
            <h2 id="placements-title">{t('scheduler.placements.title')}</h2>
            <label className="choice-inline"><input type="checkbox" checked={showKernel} onChange={(e) => setShowKernel(e.target.checked)} /> {t('scheduler.placements.kernel')}</label>
            <ul className="list">
              {(all ? listed : listed.slice(0, FIRST)).map((p) => (
                <li key={p.instance_id} data-placement={p.instance_id}>
                  <div>
                    <strong>{t(p.target_state === 'started' ? 'scheduler.placements.runsOn' : 'scheduler.placements.stoppedOn', { app: appLabel(p.spec_id), node: p.node })}</strong>
                    <div data-reason={p.reason.code}>{say(t, reasonSentence(p.reason, p.node))}</div>
                    <details><summary>{t('common.details')}</summary><pre>{`${p.reason.code}: ${p.reason.detail}`}</pre></details>
                  </div>
                </li>
              ))}
              {snap.unplaced.map((u) => (
                <li key={`unplaced-${u.spec_id}`} data-unplaced={u.spec_id}>
                  <div>
                    <strong>{t('scheduler.placements.unplaced', { app: appLabel(u.spec_id) })}</strong>
                    <div>{say(t, reasonSentence(u.reason))}</div>
                    <details><summary>{t('common.details')}</summary><pre>{`${u.reason.code}: ${u.reason.detail}`}</pre></details>
                  </div>
                </li>
              ))}
            </ul>
            {!all && listed.length > FIRST && <Button kind="quiet" onClick={() => setAll(true)}>{t('scheduler.placements.all', { count: listed.length })}</Button>}
          </section>

          {s.matrix && (
            <section className="card section" aria-labelledby="matrix-title">
              <h2 id="matrix-title">{t('scheduler.matrix.title')}</h2>
              <p className="muted">{t('scheduler.matrix.hint')}</p>
              <Matrix matrix={s.matrix} includeKernel={showKernel} picked={s.whyNot ? { spec: s.whyNot.spec_id, node: s.whyNot.node } : undefined} onPick={(spec, node) => void s.askWhyNot(spec, node)} />
              <div className="why-not" aria-live="polite" data-why-not>
                <h3>{t('scheduler.whyNot.title')}</h3>
                {s.whyNotError !== undefined && <ErrorNotice error={s.whyNotError} />}
                {s.whyNot ? (
                  <>
                    <p data-why-not-sentence><strong>{say(t, whyNotSentence(s.whyNot.verdict, s.whyNot.node, appLabel(s.whyNot.spec_id)))}</strong></p>
                    <details><summary>{t('common.details')}</summary>
                      {s.whyNot.verdict.verdict === 'filtered' && s.whyNot.verdict.detail && <p className="muted">{s.whyNot.verdict.detail}</p>}
                      <pre>{JSON.stringify(s.whyNot, null, 2)}</pre>
                    </details>
                    <Button kind="quiet" onClick={s.closeWhyNot}>{t('scheduler.whyNot.close')}</Button>
                  </>
                ) : <p className="muted">{t('scheduler.whyNot.pick')}</p>}
              </div>
            </section>
          )}

          <DiffSection />

          <details className="raw" data-raw>
            <summary>{t('scheduler.raw')}</summary>
            <pre>{JSON.stringify(snap, null, 2)}</pre>
          </details>
        </>
      )}
    </div>
  );
}

function DiffSection() {
  const { t, i18n } = useTranslation();
  const { revisions, diff, diffError, compare } = useScheduler();
  const [from, setFrom] = useState<number | undefined>(undefined);
  const [to, setTo] = useState<number | undefined>(undefined);
  const a = from ?? revisions[Math.max(0, revisions.length - 2)];
  const b = to ?? revisions[revisions.length - 1];
  if (revisions.length < 2) return null;
  return (
    <section className="card section" aria-labelledby="diff-title">
      <h2 id="diff-title">{t('scheduler.diff.title')}</h2>
      <div className="matrix-tools">
        <label className="field inline"><span>{t('scheduler.diff.from')}</span>
          <select value={a} onChange={(e) => setFrom(Number(e.target.value))} data-diff-from>{revisions.map((r) => <option key={r} value={r}>{t('scheduler.diff.rev', { rev: r })}</option>)}</select>
        </label>
        <label className="field inline"><span>{t('scheduler.diff.to')}</span>
          <select value={b} onChange={(e) => setTo(Number(e.target.value))} data-diff-to>{revisions.map((r) => <option key={r} value={r}>{t('scheduler.diff.rev', { rev: r })}</option>)}</select>
        </label>
        <Button onClick={() => void compare(a, b)} data-diff-compare>{t('scheduler.diff.show')}</Button>
      </div>
      {diffError !== undefined && <ErrorNotice error={diffError} />}
      {diff && (
        <div data-diff>
          {diff.changes.length === 0 && (diff.steps ?? []).every((st) => st.inputs.length === 0 && st.actions.length === 0) && <p className="muted">{t('scheduler.diff.none')}</p>}
          <ul className="list">{diff.changes.map((c, i) => <li key={i} data-change={c.change}>{say(t, changeSentence(c))}</li>)}</ul>
          {/* Every decision in between that noticed something or did something, each action with its cause when it has one. */}
          {(diff.steps ?? []).filter((st) => st.inputs.length > 0 || st.actions.length > 0).map((st) => (
            <div key={st.rev} className="diff-step" data-step={st.rev}>
              <h3>{t('scheduler.diff.step', { rev: st.rev, time: timeLabel(st.schedule_time, i18n.language) })}</h3>
              <p><strong>{t('scheduler.diff.causes')}</strong></p>
              {st.inputs.length > 0
                ? <ul>{st.inputs.map((c, i) => <li key={i} data-input={c.change}>{say(t, inputSentence(c))}</li>)}</ul>
                : <p className="muted">{t('scheduler.diff.noInputs')}</p>}
              {st.actions.length > 0 && (
                <>
                  <p><strong>{t('scheduler.diff.actions')}</strong></p>
                  <ul>
                    {st.actions.map((act, i) => (
                      <li key={i} data-action={act.type}>
                        {say(t, actionSentence(act.type, act.target))}
                        {act.cause !== undefined && st.inputs[act.cause] && <> — {t('scheduler.diff.because', { cause: say(t, inputSentence(st.inputs[act.cause])) })}</>}
                      </li>
                    ))}
                  </ul>
                  {st.actions_total > st.actions.length && <p className="muted">{t('scheduler.map.more', { count: st.actions_total - st.actions.length })}</p>}
                </>
              )}
            </div>
          ))}
          <details><summary>{t('common.details')}</summary><pre>{JSON.stringify(diff, null, 2)}</pre></details>
        </div>
      )}
    </section>
  );
}
