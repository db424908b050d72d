// Every reason code the scheduler can write has a sentence in both languages, and the sentences name
// the device. The codes are read from the scheduler's own source, so a new code without words fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { en } from '../../i18n/en';
import { zh } from '../../i18n/zh';
import { FILTERS, PLAIN_REASONS, cellLabel, changeSentence, inputSentence, reasonSentence, whyNotSentence, type Sentence } from './reasons';

const get = (tree: unknown, key: string): unknown => key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], tree);
const has = (s: Sentence) => {
  for (const lang of [en, zh]) {
    expect(typeof get(lang, s.key), `${s.key}`).toBe('string');
    for (const v of Object.values(s.values ?? {})) if (typeof v === 'string' && v.startsWith('scheduler.')) expect(typeof get(lang, v), v).toBe('string');
  }
};

const source = ['schedule.ts', 'placement.ts', 'snapshot-view.ts'].map((f) => readFileSync(new URL(`../../../../kernel/scheduler/${f}`, import.meta.url), 'utf8')).join('\n');
const emitted = [...new Set([...source.matchAll(/'((?:filter|score|replace|hold|keep|start|scale|stop|remove|drop|spec|node|update|report|rbac|gateway|placement):[a-z-]+)'/g)].map((m) => m[1]))];

describe('reason → sentence', () => {
  test('the scheduler emits codes this page knows', () => {
    expect(emitted.length).toBeGreaterThan(20);
    for (const code of emitted) {
      const s = reasonSentence({ code }, 'nas');
      expect(s.key, code).not.toBe('scheduler.reason.other');
      has(s);
    }
  });
  test('filter families name the filter; an unknown code says so', () => {
    for (const f of FILTERS) for (const family of ['replace', 'stop', 'filter']) has(reasonSentence({ code: `${family}:${f}` }, 'nas'));
    for (const code of PLAIN_REASONS) has(reasonSentence({ code }, 'nas'));
    expect(reasonSentence({ code: 'replace:node-gone' }, 'ood1')).toEqual({ key: 'scheduler.reason.replace', values: { node: 'ood1', filter: 'scheduler.filter.node-gone' } });
    expect(reasonSentence({ code: 'weird:thing' }).key).toBe('scheduler.reason.other');
    expect(get(en, 'scheduler.reason.filter_only-candidate')).toContain('{{node}}');
  });
  test('why-not verdicts, cells, changes and inputs all have words', () => {
    has(whyNotSentence({ verdict: 'filtered', filter: 'filter:affinity', detail: '' }, 'nas', 'notes'));
    has(whyNotSentence({ verdict: 'short', resource: 'memory', need: 2 ** 30, free: 2 ** 29 }, 'nas', 'notes'));
    has(whyNotSentence({ verdict: 'not-chosen', score: 40, mem_pct: 50, instances: 2, enough: true, chosen: [{ node: 'ood1', score: 60, reason: { code: 'score:spread', detail: '' } }] }, 'nas', 'notes'));
    expect(whyNotSentence({ verdict: 'short', resource: 'memory', need: 2 ** 30, free: 2 ** 29 }, 'nas', 'notes').values).toMatchObject({ need: '1024 MB', free: '512 MB', node: 'nas' });
    for (const f of FILTERS) has(cellLabel(`filter:${f}`));
    has(cellLabel('score:12'));
    has(changeSentence({ change: 'instance-added', spec_id: 'notes@alice', node: 'nas', target_state: 'started', reason: { code: 'x', detail: '' } }));
    has(inputSentence({ change: 'spec-changed', spec_id: 'notes@alice', key: 'k', fields: ['version'], from_version: '0.1.0', to_version: '0.2.0' }));
    expect(inputSentence({ change: 'spec-changed', spec_id: 'notes@alice', key: 'k', fields: ['version'], from_version: '0.1.0', to_version: '0.2.0' }).key).toBe('scheduler.input.upgraded');
  });
});
