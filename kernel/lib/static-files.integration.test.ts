// The control panel's files through a real gateway and a real activation server: right types, cache
// headers, the SPA fallback for the panel's own routes only, never for /kapi, /apps or a missing file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGateway } from '../gateway/service.js';
import { StaticResolver } from '../gateway/resolver.js';
import { startActivationServer } from '../activation/service.js';
import { dataPaths } from './paths.js';
import { silentLogger } from './log.js';
import { randomLoopback, tempDir } from '../testing/harness.js';

const host = randomLoopback();
const INDEX = '<!doctype html><div id="root"></div><script type="module" src="./assets/index-abc123.js"></script>';
let panelDir: string;
const stops: (() => Promise<void>)[] = [];
let gateway = '';
let activation = '';

before(async () => {
  const dir = await tempDir('buckyos-panel-');
  stops.push(() => dir.remove());
  panelDir = join(dir.path, 'panel');
  await mkdir(join(panelDir, 'assets'), { recursive: true });
  await writeFile(join(panelDir, 'index.html'), INDEX);
  await writeFile(join(panelDir, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(join(dir.path, 'secret.txt'), 'outside');
  const gw = await startGateway({ host, port: 0, log: silentLogger, resolver: new StaticResolver(), staticDir: panelDir });
  stops.push(() => gw.stop());
  gateway = `http://${host}:${gw.port}`;
  const act = await startActivationServer({ paths: dataPaths(join(dir.path, 'device')), host, port: 0, log: silentLogger, onActivated: () => {}, staticDir: panelDir });
  stops.push(() => act.stop());
  activation = `http://${host}:${act.port}`;
});
after(async () => { for (const s of stops.reverse()) await s(); });

for (const [name, base] of [['gateway (:3180)', () => gateway], ['activation server (:3182)', () => activation]] as const) {
  describe(name, () => {
    test('/ is the panel, revalidated, with the security headers', async () => {
      const res = await fetch(`${base()}/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(await res.text(), INDEX);
    });
    test('hashed assets are JavaScript, cached for a year; HEAD answers without a body', async () => {
      const res = await fetch(`${base()}/assets/index-abc123.js`);
      assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
      assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000, immutable/);
      assert.equal(await res.text(), 'console.log(1)');
      const head = await fetch(`${base()}/assets/index-abc123.js`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
    });
    test('a panel route without an extension falls back to index.html', async () => {
      const res = await fetch(`${base()}/devices/ood1`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), INDEX);
    });
    test('a missing file with an extension is a 404, never the page', async () => {
      const res = await fetch(`${base()}/assets/missing-999.js`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(await res.text(), /<div id="root">/);
    });
    test('nothing outside the panel folder is served', async () => {
      for (const path of ['/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00', '/device%00', '/x/..%2f..%2fsecret.txt', '/a\\..\\secret.txt']) {
        const res = await fetch(`${base()}${path}`);
        assert.equal(res.status, 404, path);
        assert.notEqual(await res.text(), 'outside', path);
      }
    });
    test('/kapi/… is never answered with the page, however it is spelled', async () => {
      const res = await fetch(`${base()}/kapi/nothing_here`);
      assert.equal(res.status, 404);
      assert.match((await res.json() as { error: string }).error, /^NOT_FOUND: /);
      for (const path of ['/kapi/..%2fsystem_config', '/%6bapi/x', '/KAPI/x', '//kapi/x', '/apps/..%2fx', '/kapi']) {
        const odd = await fetch(`${base()}${path}`);
        assert.ok(odd.status >= 400, `${path} → ${odd.status}`);
        assert.doesNotMatch(await odd.text(), /<div id="root">/, path);
      }
    });
  });
}

test('gateway: /apps/… is never answered with the page', async () => {
  const res = await fetch(`${gateway}/apps/notes/`, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 404);
  assert.doesNotMatch(await res.text(), /<div id="root">/);
});

test('activation server: the activation kRPC and /device still answer beside the panel', async () => {
  const device = await (await fetch(`${activation}/device`)).json() as { state: string };
  assert.equal(device.state, 'inactive');
  const res = await fetch(`${activation}/kapi/active`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'generate_device_key_pair', params: {}, sys: [1] }),
  });
  const body = await res.json() as { result?: { public_key: { kty: string } } };
  assert.equal(body.result?.public_key.kty, 'OKP');
});
