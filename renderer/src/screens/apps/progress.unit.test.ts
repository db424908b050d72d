import { describe, expect, test } from 'vitest';
import { formatBytes, newerVersions, phaseKey, rollbackSentence, taskFraction, updateChoices } from './progress';
import { en } from '../../i18n/en';
import { zh } from '../../i18n/zh';

const lookup = (tree: unknown, key: string) => key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], tree);

describe('install progress', () => {
  test('moves forward through the phases, downloading with its bytes, and ends at 1', () => {
    const at = (phase: string, bytes = 0, total = 0) => taskFraction({ phase, bytes, total, done: false });
    expect(at('preparing')).toBe(0);
    expect(at('downloading', 0, 100)).toBeLessThan(at('downloading', 50, 100));
    expect(at('downloading', 100, 100)).toBeCloseTo(at('starting'));
    expect(at('starting')).toBeLessThan(at('health-check'));
    expect(taskFraction({ phase: 'health-check', bytes: 0, total: 0, done: true })).toBe(1);
    expect(at('something-new')).toBe(0.5);
  });
  test('every phase the app-manager reports has words in both languages; unknown ones read "working"', () => {
    for (const p of ['preparing', 'scheduling', 'waiting-for-node', 'switching', 'downloading', 'deploying', 'starting', 'health-check', 'rolling-back', 'restoring', 'removing', 'done', 'failed', 'brand-new']) {
      expect(typeof lookup(en, phaseKey(p))).toBe('string');
      expect(typeof lookup(zh, phaseKey(p))).toBe('string');
    }
    expect(phaseKey('brand-new')).toBe('apps.phase.working');
  });
  test('bytes read as people read them', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
  });
});

describe('rollback in plain words', () => {
  test('an automatic rollback with data restored says what failed, where it is now, and that the data is back', () => {
    const s = rollbackSentence({ from: '1.2.0', to: '1.1.0', reason: 'health check failed', at: 1, automatic: true, task_id: 't', data_restored: true });
    expect(s.key).toBe('apps.rollback.automaticRestored');
    const text = (lookup(en, s.key) as string).replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(s.values[k]));
    expect(text).toBe('1.2.0 did not pass its health check; back on 1.1.0, your data restored.');
  });
  test('manual rollbacks are said as the owner\'s own choice', () => {
    expect(rollbackSentence({ from: '1.1.0', to: '1.0.0', reason: '', at: 1, automatic: false, task_id: 't', data_restored: false }).key).toBe('apps.rollback.manual');
  });
});

describe('update choices', () => {
  test('only newer versions, newest first, compared as numbers', () => {
    expect(newerVersions(['1.0.0', '1.10.0', '1.2.0', '1.1.0', '0.9.0'], '1.1.0')).toEqual(['1.10.0', '1.2.0']);
    expect(newerVersions(['1.0.0'], '1.0.0')).toEqual([]);
  });
});

describe('after an automatic rollback', () => {
  const rolled = { from: '1.2.0', to: '1.1.0', reason: 'health check failed', at: 1, automatic: true, task_id: 't', data_restored: true };
  test('the version that failed here is not offered first; the others keep their order', () => {
    expect(updateChoices(['1.0.0', '1.1.0', '1.2.0', '1.3.0'], '1.1.0', rolled)).toEqual([
      { version: '1.3.0', failedHere: false }, { version: '1.2.0', failedHere: true },
    ]);
    expect(updateChoices(['1.1.0', '1.2.0', '1.1.5'], '1.1.0', rolled).map((c) => c.version)).toEqual(['1.1.5', '1.2.0']);
    expect(updateChoices(['1.1.0', '1.2.0'], '1.1.0', rolled)).toEqual([{ version: '1.2.0', failedHere: true }]);
  });
  test('a manual rollback marks nothing as failed', () => {
    expect(updateChoices(['1.1.0', '1.2.0'], '1.1.0', { ...rolled, automatic: false })[0]).toEqual({ version: '1.2.0', failedHere: false });
  });
});
