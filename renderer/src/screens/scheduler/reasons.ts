// The scheduler's machine reasons (`filter:affinity`, `score:spread`, …) as the owner's sentences: one
// i18n key per code, with the device names filled in. The raw code and detail stay in a fold.
import type { CellCode, InputChange, Reason, SnapshotChange, WhyNotVerdict } from '../../../../kernel/api/scheduler';
import { appLabel } from './say';

/** Hard filters of kernel/scheduler/placement.ts (and the two a move can name). */
export const FILTERS = [
  'node-gone', 'node-not-schedulable', 'node-not-ready', 'not-ood', 'affinity', 'resource-pool', 'arch-mismatch',
  'no-container-support', 'insufficient-memory', 'kind-changed',
] as const;

/** Reason codes without a filter in them, each with its own sentence. */
export const PLAIN_REASONS = [
  'filter:no-candidate', 'filter:only-candidate', 'score:tie-by-name', 'score:most-free-memory', 'score:spread',
  'hold:no-candidate', 'keep:existing-placement', 'keep:spec-state-unmanaged', 'start:spec-running', 'scale:excess-instance',
  'stop:spec-stopped', 'remove:spec-deleted', 'remove:spec-missing', 'drop:instance-stopped', 'spec:placed', 'node:joined',
  'update:spec-changed', 'report:live-instances', 'report:no-live-instance', 'rbac:derived', 'gateway:derived',
  'remove:no-spec-no-report', 'node:ready', 'node:gone', 'node:not-ready', 'node:not-schedulable', 'node:no-device-info',
  'remove:gone-from-snapshot', 'placement:complete',
] as const;

export interface Sentence {
  key: string;
  values?: Record<string, string | number>;
}

const filterName = (code: string) => code.replace(/^[a-z]+:/, '');
const isFilter = (name: string): name is (typeof FILTERS)[number] => (FILTERS as readonly string[]).includes(name);

/** `node` is the device the reason is about (where the instance is, or the node whose status it is). */
export function reasonSentence(reason: Pick<Reason, 'code'>, node = ''): Sentence {
  const { code } = reason;
  if ((PLAIN_REASONS as readonly string[]).includes(code)) return { key: `scheduler.reason.${code.replace(':', '_')}`, values: { node } };
  const [family] = code.split(':');
  const name = filterName(code);
  if ((family === 'replace' || family === 'stop' || family === 'filter') && isFilter(name))
    return { key: `scheduler.reason.${family}`, values: { node, filter: `scheduler.filter.${name}` } };
  return { key: 'scheduler.reason.other', values: { node, code } };
}

/** The sentence of a "why not on <node>?" answer. */
export function whyNotSentence(v: WhyNotVerdict, node: string, app: string): Sentence {
  switch (v.verdict) {
    case 'placed': return v.target_state === 'started' ? { key: 'scheduler.whyNot.placed', values: { app, node } } : { key: 'scheduler.whyNot.stopped', values: { app, node } };
    case 'filtered': {
      const name = filterName(v.filter);
      return { key: 'scheduler.whyNot.filtered', values: { app, node, filter: isFilter(name) ? `scheduler.filter.${name}` : v.filter } };
    }
    case 'short': return { key: 'scheduler.whyNot.short', values: { app, node, need: mib(v.need), free: mib(v.free) } };
    case 'not-chosen':
      return v.enough
        ? { key: 'scheduler.whyNot.enough', values: { app, node, score: v.score, chosen: v.chosen.map((c) => c.node).join(', '), chosenScore: v.chosen[0]?.score ?? '' } }
        : { key: 'scheduler.whyNot.couldRun', values: { app, node, score: v.score } };
    case 'unknown': return { key: 'scheduler.whyNot.unknown', values: { app, node } };
  }
}

const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

/** A matrix cell as a short label key and whether the app runs there. */
export function cellLabel(cell: CellCode): Sentence & { tone: 'ok' | 'muted' | 'warn' | 'bad' } {
  if (cell === 'placed') return { key: 'scheduler.cell.placed', tone: 'ok' };
  if (cell === 'stopped') return { key: 'scheduler.cell.stopped', tone: 'muted' };
  if (cell === 'short:memory') return { key: 'scheduler.cell.short', tone: 'warn' };
  if (cell === 'unknown') return { key: 'scheduler.cell.unknown', tone: 'muted' };
  if (cell.startsWith('score:')) return { key: 'scheduler.cell.score', values: { score: cell.slice(6) }, tone: 'muted' };
  const name = filterName(cell);
  return { key: isFilter(name) ? `scheduler.filterShort.${name}` : 'scheduler.cell.filtered', tone: 'bad' };
}

/** One change between two snapshots as a sentence. */
export function changeSentence(c: SnapshotChange): Sentence {
  switch (c.change) {
    case 'node-added': return { key: 'scheduler.change.nodeAdded', values: { node: c.node } };
    case 'node-removed': return { key: 'scheduler.change.nodeRemoved', values: { node: c.node } };
    case 'node-status': return { key: 'scheduler.change.nodeStatus', values: { node: c.node, from: `scheduler.status.${c.from}`, to: `scheduler.status.${c.to}` } };
    case 'instance-added': return { key: 'scheduler.change.instanceAdded', values: { app: appLabel(c.spec_id), node: c.node } };
    case 'instance-removed': return { key: 'scheduler.change.instanceRemoved', values: { app: appLabel(c.spec_id), node: c.node } };
    case 'instance-state': return { key: c.to === 'started' ? 'scheduler.change.started' : 'scheduler.change.stopped', values: { app: appLabel(c.spec_id), node: c.node } };
    case 'unplaced': return { key: 'scheduler.change.unplaced', values: { app: appLabel(c.spec_id) } };
    case 'placed-again': return { key: 'scheduler.change.placedAgain', values: { app: appLabel(c.spec_id) } };
    case 'service': return { key: 'scheduler.change.service', values: { app: appLabel(c.service_id), nodes: c.to.join(', ') || '—' } };
  }
}

/** An input change (what the scheduler read differently) as a sentence. */
export function inputSentence(c: InputChange): Sentence {
  switch (c.change) {
    case 'spec-added': return { key: 'scheduler.input.added', values: { app: appLabel(c.spec_id) } };
    case 'spec-removed': return { key: 'scheduler.input.removed', values: { app: appLabel(c.spec_id) } };
    case 'spec-changed':
      return c.fields.includes('version') && c.from_version && c.to_version
        ? { key: 'scheduler.input.upgraded', values: { app: appLabel(c.spec_id), from: c.from_version, to: c.to_version } }
        : { key: 'scheduler.input.changed', values: { app: appLabel(c.spec_id), fields: c.fields.join(', ') } };
    case 'node-changed': return { key: 'scheduler.input.node', values: { node: c.node, fields: c.fields.join(', ') } };
  }
}

/** An action's target (`notes@alice@ood1`, a spec id or a KV key) as the app and device it is about. */
export function actionSentence(type: string, target: string): Sentence {
  const parts = target.split('@');
  if (parts.length >= 3) return { key: 'scheduler.diff.actionOn', values: { action: `scheduler.action.${type}`, app: appLabel(parts.slice(0, -1).join('@')), node: parts[parts.length - 1] } };
  return { key: 'scheduler.diff.actionAbout', values: { action: `scheduler.action.${type}`, what: target } };
}
