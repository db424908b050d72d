// The default data folder, which the CLI and the desktop app share: BUCKYOS_DATA, then an existing
// ~/.buckyos node, then the platform's application-data folder (outside any install folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDataDir } from './paths.js';

const none = () => false;

test('BUCKYOS_DATA wins on every platform', () => {
  for (const p of ['linux', 'darwin', 'win32'] as const) assert.equal(defaultDataDir({ BUCKYOS_DATA: '/srv/zone' }, p, '/home/a', none), '/srv/zone');
});

test('each platform gets its application-data folder', () => {
  assert.equal(defaultDataDir({}, 'linux', '/home/a', none), '/home/a/.local/share/buckyos');
  assert.equal(defaultDataDir({ XDG_DATA_HOME: '/home/a/data' }, 'linux', '/home/a', none), '/home/a/data/buckyos');
  assert.equal(defaultDataDir({}, 'darwin', '/Users/a', none), '/Users/a/Library/Application Support/BuckyOS');
  assert.equal(defaultDataDir({ LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local' }, 'win32', 'C:\\Users\\a', none), 'C:\\Users\\a\\AppData\\Local\\BuckyOS');
  assert.equal(defaultDataDir({}, 'win32', 'C:\\Users\\a', none), 'C:\\Users\\a\\AppData\\Local\\BuckyOS');
});

test('a node already in ~/.buckyos stays where it is', () => {
  const exists = (p: string) => p === '/home/a/.buckyos/etc';
  assert.equal(defaultDataDir({}, 'linux', '/home/a', exists), '/home/a/.buckyos');
  assert.equal(defaultDataDir({}, 'darwin', '/home/a', exists), '/home/a/.buckyos');
});
