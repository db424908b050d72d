import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desktopEn, desktopTexts, desktopZh } from './texts.js';
import { trayState } from './tray-state.js';
import { windowTarget } from './window-route.js';

test('the shell speaks the first of the OS languages it knows, English otherwise', () => {
  assert.equal(desktopTexts(['zh-Hans-CN', 'en-US']), desktopZh);
  assert.equal(desktopTexts(['zh-TW']), desktopZh);
  assert.equal(desktopTexts(['fr-FR', 'en-GB', 'zh-CN']), desktopEn);
  assert.equal(desktopTexts(['de-DE']), desktopEn);
  assert.equal(desktopTexts([]), desktopEn);
});

test('tray, waiting page and update notices are in Chinese on a Chinese system', () => {
  assert.deepEqual(trayState({ kernel: { kind: 'restarting', inMs: 1500, crashesInARow: 1, lastExit: 'signal SIGKILL', restarts: 1 }, now: 0, texts: desktopZh }),
    { level: 'attention', label: '家庭云需要处理: 意外停止，2 秒后重新启动', cause: '意外停止，2 秒后重新启动' });
  assert.deepEqual(windowTarget({ kind: 'stopped', appsStopped: 0 }, undefined, desktopZh), { kind: 'waiting', reason: '你的家庭云已停止。' });
  assert.match(desktopZh.update.notInstalled('1.2.0', 'x'), /1\.2\.0.*当前版本继续运行/);
});

test('every Chinese line differs from its English one (nothing left untranslated)', () => {
  const flat = (o: object, prefix = ''): [string, string][] => Object.entries(o).flatMap(([k, v]) =>
    typeof v === 'object' ? flat(v as object, `${prefix}${k}.`) : [[`${prefix}${k}`, typeof v === 'function' ? String((v as (...a: unknown[]) => string)('1.0.0', 'e')) : String(v)]]);
  const zh = new Map(flat(desktopZh));
  for (const [key, en] of flat(desktopEn)) assert.notEqual(zh.get(key), en, key);
});
