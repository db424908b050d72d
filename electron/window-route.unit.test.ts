// The window opens the wizard while unactivated, the panel once running, a waiting page otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepLinkFromArgv, deepLinkRoute, mustReroute, windowTarget } from './window-route.js';

const addresses = { wizardUrl: 'http://127.0.0.2:3182/', panelUrl: 'http://127.0.0.2:3180/' };

test('unactivated → the wizard; running → the panel, at the kernel-reported address', () => {
  assert.deepEqual(windowTarget({ kind: 'activating', addresses, dataDir: '/d', restarts: 0 }), { kind: 'zone', url: 'http://127.0.0.2:3182/' });
  assert.deepEqual(windowTarget({ kind: 'running', addresses, dataDir: '/d', restarts: 0 }), { kind: 'zone', url: 'http://127.0.0.2:3180/' });
  assert.deepEqual(windowTarget({ kind: 'running', addresses, dataDir: '/d', restarts: 0 }, '/#/devices?join=x'), { kind: 'zone', url: 'http://127.0.0.2:3180/#/devices?join=x' });
  // A deep link cannot be used while unactivated: the wizard comes first.
  assert.deepEqual(windowTarget({ kind: 'activating', addresses, dataDir: '/d', restarts: 0 }, '/#/apps'), { kind: 'zone', url: 'http://127.0.0.2:3182/' });
});

test('no zone address → a waiting page that says why', () => {
  assert.equal(windowTarget({ kind: 'starting', restarts: 0 }).kind, 'waiting');
  const t = windowTarget({ kind: 'restarting', inMs: 4_000, crashesInARow: 3, lastExit: 'exit code 1', restarts: 2 });
  assert.deepEqual(t, { kind: 'waiting', reason: 'Your home cloud stopped unexpectedly; starting it again in 4 s…' });
});

test('a zone page is left alone when the zone changes phase (the wizard hands over itself)', () => {
  const panel = { kind: 'zone' as const, url: addresses.panelUrl };
  assert.equal(mustReroute('http://127.0.0.2:3182/#/done', panel), false);
  assert.equal(mustReroute('data:text/html,starting', panel), true);
  assert.equal(mustReroute(undefined, panel), true);
  assert.equal(mustReroute('http://127.0.0.2:3180/', { kind: 'waiting', reason: 'x' }), true);
  assert.equal(mustReroute('data:text/html,x', { kind: 'waiting', reason: 'x' }), false);
});

test('buckyos:// pairing links and .pkg files become panel routes; anything else is ignored', () => {
  const link = 'buckyos://join?v=1&url=http%3A%2F%2F192.168.1.30%3A3182&fp=ABCD-EFGH-IJKL&code=K7QF-2MZA';
  assert.equal(deepLinkRoute(link), `/#/devices?join=${encodeURIComponent(link)}`);
  assert.equal(deepLinkRoute('/home/a/Downloads/notes.pkg'), `/#/apps?install=${encodeURIComponent('/home/a/Downloads/notes.pkg')}`);
  assert.equal(deepLinkRoute('buckyos://delete-everything'), undefined);
  assert.equal(deepLinkRoute('buckyos://join?url=file%3A%2F%2F%2Fetc&fp=ABCD-EFGH-IJKL&code=K7QF-2MZA'), undefined);
  assert.equal(deepLinkRoute('--inspect=9229'), undefined);
  assert.equal(deepLinkRoute('https://evil.test/x'), undefined);
  assert.equal(deepLinkFromArgv(['/opt/BuckyOS/buckyos', '--no-sandbox', link]), `/#/devices?join=${encodeURIComponent(link)}`);
  assert.equal(deepLinkFromArgv(['/opt/BuckyOS/buckyos']), undefined);
});
