// The app × device table, virtualised: only the rows in view (plus a few) are in the page, so 1,000
// apps × 50 devices scroll as smoothly as ten. Each square is a button that asks "why (not) here?".
import { useMemo, useState, type UIEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { PlacementMatrix } from '../../../../kernel/api/scheduler';
import { cellLabel } from './reasons';
import { appLabel, say } from './say';

export const ROW_HEIGHT = 36;
const VIEW_HEIGHT = 360;
const OVERSCAN = 6;

export function Matrix({ matrix, onPick, picked, includeKernel }: { matrix: PlacementMatrix; onPick(specId: string, node: string): void; picked?: { spec: string; node: string }; includeKernel: boolean }) {
  const { t } = useTranslation();
  const [scrollTop, setScrollTop] = useState(0);
  const [query, setQuery] = useState('');
  const rows = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = matrix.specs.map((s, i) => ({ spec: s, cells: matrix.cells[i] })).filter((r) => includeKernel || r.spec.kind === 'app');
    return q ? all.filter((r) => r.spec.spec_id.toLowerCase().includes(q)) : all;
  }, [matrix, query, includeKernel]);
  const height = Math.min(VIEW_HEIGHT, (rows.length + 1) * ROW_HEIGHT + 8);
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + OVERSCAN);
  const shown = rows.slice(first, last);

  return (
    <div data-matrix>
      <div className="matrix-tools">
        <label className="field inline">
          <span>{t('scheduler.matrix.filter')}</span>
          <input type="search" value={query} onChange={(e) => { setQuery(e.target.value); setScrollTop(0); }} />
        </label>
        <span className="muted" role="status">{t('scheduler.matrix.rows', { shown: rows.length, count: includeKernel ? matrix.specs.length : matrix.specs.filter((x) => x.kind === 'app').length })}</span>
      </div>
      <div className="matrix-scroll" style={{ height }} onScroll={(e: UIEvent<HTMLDivElement>) => setScrollTop(e.currentTarget.scrollTop)}
        tabIndex={0} role="region" aria-label={t('scheduler.matrix.title')}>
        <table className="matrix">
          <thead>
            <tr>
              <th scope="col" className="matrix-app">{t('scheduler.matrix.app')}</th>
              {matrix.nodes.map((n) => <th scope="col" key={n}>{n}</th>)}
            </tr>
          </thead>
          <tbody>
            {first > 0 && <tr aria-hidden="true" style={{ height: first * ROW_HEIGHT }}><td colSpan={matrix.nodes.length + 1} /></tr>}
            {shown.map(({ spec, cells }) => (
              <tr key={spec.spec_id} style={{ height: ROW_HEIGHT }} data-row={spec.spec_id}>
                <th scope="row" className="matrix-app">{appLabel(spec.spec_id)}</th>
                {cells.map((cell, j) => {
                  const label = cellLabel(cell);
                  const node = matrix.nodes[j];
                  const text = say(t, label);
                  const active = picked?.spec === spec.spec_id && picked.node === node;
                  return (
                    <td key={node}>
                      <button type="button" className={`cell cell-${label.tone}${active ? ' cell-active' : ''}`} data-cell={`${spec.spec_id}|${node}`} data-code={cell}
                        aria-label={`${appLabel(spec.spec_id)} · ${node}: ${text}`} aria-pressed={active} onClick={() => onPick(spec.spec_id, node)}>
                        <span aria-hidden="true">{label.tone === 'ok' ? '✓' : label.tone === 'bad' ? '✕' : label.tone === 'warn' ? '!' : '·'}</span> {text}
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
            {last < rows.length && <tr aria-hidden="true" style={{ height: (rows.length - last) * ROW_HEIGHT }}><td colSpan={matrix.nodes.length + 1} /></tr>}
          </tbody>
        </table>
      </div>
    </div>
  );
}
