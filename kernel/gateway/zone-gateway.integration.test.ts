// The zone gateway from outside, on a real OOD process (`buckyos ood`, zone "home.arpa", its zone CA
// made at first start): TLS 1.3 with the zone certificate verifies when the zone CA is trusted and
// fails without it; host routing (<app>.<zone>, <app>-<zone>, sys and the bare zone to the panel);
// only exposed apps are reachable, a private one wants a session for that app (else the login page);
// plain HTTP redirects to HTTPS except the trust page; bad Host headers get structured errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { cli, pollUntil, randomLoopback, spawnOod, stopWithApps, tempDir, TEST_PASSWORD, waitForPort, type NodeProcess } from '../testing/harness.js';
import { login, type ZoneSession } from '../cli/session.js';
import { dataPaths } from '../lib/paths.js';

const ZONE = 'home.arpa';
const FIXTURE_PKGS = join(import.meta.dirname, '../node-daemon/fixtures');
const host = randomLoopback();
let ood: NodeProcess;
let dir: { path: string; remove(): Promise<void> };
let ca: string;
let owner: ZoneSession;

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

function get(opts: { name: string; path?: string; port?: number; tls?: boolean; ca?: string | null; cookie?: string; hostHeader?: string | null; maxVersion?: 'TLSv1.2' | 'TLSv1.3' }): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.hostHeader !== null) headers.host = opts.hostHeader ?? opts.name;
  if (opts.cookie) headers.cookie = opts.cookie;
  const common = { host, path: opts.path ?? '/', headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const onRes = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    };
    const req = opts.tls === false
      ? http.get({ ...common, port: opts.port ?? 80 }, onRes)
      : https.get({ ...common, port: opts.port ?? 443, servername: opts.name, ...(opts.ca === null ? {} : { ca: opts.ca ?? ca }), ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}) }, onRes);
    req.on('error', reject);
  });
}

/** `expose`: absent = not exposed; private; public (allow_guest) — the spec's expose_config.www as upstream's kernel specs have it. */
const appSpec = (app: string, appIndex: number, expose?: 'public' | 'private') => JSON.stringify({
  installation_id: app, user_id: 'alice', app_class: 'UserInstalled', app_index: appIndex,
  app_doc: { name: app, version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
  enable: true, expected_instance_count: 1, state: 'new',
  spec_config: {
    service_config: { www: { protocol: 'http', inner_port: 8080 } },
    ...(expose ? { expose_config: { www: { allow_guest: expose === 'public' } } } : {}),
  },
});

before(async () => {
  dir = await tempDir('buckyos-zonegw-');
  ood = spawnOod(dir.path, host, ['--pkgs', FIXTURE_PKGS]);
  await waitForPort(host, 3182, 90_000);
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', ZONE, '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.stderr);
  await waitForPort(host, 3180, 60_000);
  await waitForPort(host, 443, 60_000);
  ca = await readFile(join(dataPaths(dir.path).etc, 'zone-ca', 'ca.crt'), 'utf8');
  owner = await login({ zone: `http://${host}:3180`, user: 'alice', password: TEST_PASSWORD });
  const kv = owner.client('system_config');
  const apps = [['pub', 'public'], ['priv', 'private'], ['hidden', undefined]] as const;
  for (const [i, [app, expose]] of apps.entries()) await kv.call('sys_config_set', { key: `users/alice/apps/${app}/spec`, value: appSpec(app, 70 + i, expose) });
  for (const app of ['pub', 'priv', 'hidden']) {
    await pollUntil(`${app} answering on the node gateway`, async () => ((await fetch(`http://${host}:3180/apps/${app}/`)).status === 200 ? true : undefined), { timeoutMs: 90_000, everyMs: 250, context: () => ood.log() });
  }
});

after(async () => {
  if (ood) await stopWithApps(ood);
  await dir?.remove();
});

test('the zone CA is made at first start, name-constrained to the zone; TLS 1.3 verifies with it trusted and fails without it', async () => {
  const caCert = new X509Certificate(ca);
  assert.ok(caCert.ca, 'ca.crt is a CA certificate');
  assert.match(caCert.subject, /home\.arpa home cloud CA/);
  const answered = await pollUntil('pub through the zone gateway', async () => {
    const r = await get({ name: `pub.${ZONE}` });
    return r.status === 200 ? r : undefined;
  }, { timeoutMs: 60_000, everyMs: 250, context: () => ood.log() });
  assert.equal(JSON.parse(answered.body).env.BUCKYOS_APP_ID ?? 'pub', 'pub');
  await assert.rejects(get({ name: `pub.${ZONE}`, ca: null }), (e: NodeJS.ErrnoException) => /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(e.code ?? ''));
  await assert.rejects(get({ name: `pub.${ZONE}`, maxVersion: 'TLSv1.2' }), 'TLS 1.2 is refused');
  // A certificate for a name outside the zone would be refused by the CA's name constraint; the
  // gateway's own certificate is only for the zone's names.
  await assert.rejects(get({ name: 'bank.example', hostHeader: `pub.${ZONE}` }), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('host routing: <app>.<zone> and <app>-<zone> reach a public app; sys and the bare zone are the panel; /kapi by path', async () => {
  // `<app>-<zone>` lies outside the zone CA's name constraint (a sibling of the zone), so its TLS name is
  // the zone's here; what is tested is that the Host header routes.
  for (const hostHeader of [`pub.${ZONE}`, `pub-${ZONE}`]) {
    const r = await pollUntil(hostHeader, async () => { const a = await get({ name: `pub.${ZONE}`, hostHeader }); return a.status === 200 ? a : undefined; }, { timeoutMs: 60_000, everyMs: 250 });
    assert.ok(JSON.parse(r.body).pid > 0, `${hostHeader} answered from the app`);
  }
  for (const name of [ZONE, `sys.${ZONE}`]) {
    const r = await get({ name, path: '/kapi/nope' });
    assert.equal(r.status, 404);
    assert.match(JSON.parse(r.body).error, /^NOT_FOUND: no service "nope"/);
  }
  const kapi = await fetchKrpc(`pub.${ZONE}`, 'verify_hub', { method: 'verify_token', params: { session_token: owner.sessionToken }, sys: [1] });
  assert.equal(kapi.result, true, 'kRPC by path through an app host');
});

async function fetchKrpc(name: string, service: string, body: unknown): Promise<{ result?: unknown; error?: string }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = https.request({ host, port: 443, servername: name, ca, method: 'POST', path: `/kapi/${service}`, headers: { host: name, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, agent: false }, (res) => {
      let out = '';
      res.on('data', (c) => (out += c));
      res.on('end', () => resolve(JSON.parse(out)));
    });
    req.on('error', reject);
    req.end(text);
  });
}

test('a private app: no session (or one for another app) → redirect to the login page; a session for that app → the app', async () => {
  const anon = await get({ name: `priv.${ZONE}`, path: '/page?x=1' });
  assert.equal(anon.status, 302);
  assert.equal(anon.headers.location, `https://sys.${ZONE}/login?redirect_url=${encodeURIComponent(`https://priv.${ZONE}/page?x=1`)}`);
  const otherApp = await get({ name: `priv.${ZONE}`, cookie: `buckyos_session_token=${owner.sessionToken}` });
  assert.equal(otherApp.status, 302, 'a session of the CLI is not a session of the app');
  const forged = await get({ name: `priv.${ZONE}`, cookie: 'buckyos_session_token=eyJhbGciOiJub25lIn0.eyJhcHBpZCI6InByaXYifQ.' });
  assert.equal(forged.status, 302);
  const appSession = await login({ zone: `http://${host}:3180`, user: 'alice', password: TEST_PASSWORD }, 'priv');
  const ok = await get({ name: `priv.${ZONE}`, cookie: `theme=dark; buckyos_session_token=${appSession.sessionToken}` });
  assert.equal(ok.status, 200, ok.body);
  assert.ok(JSON.parse(ok.body).pid > 0);
});

test('an app the owner did not expose is not reachable from outside (it still is on the node gateway)', async () => {
  const r = await get({ name: `hidden.${ZONE}` });
  assert.equal(r.status, 404);
  assert.match(r.body, /NOT_FOUND: no app &#34;hidden&#34; is reachable at this address/);
  assert.equal((await fetch(`http://${host}:3180/apps/hidden/`)).status, 200);
});

test('plain HTTP redirects to HTTPS; the trust page and the CA certificate are served over HTTP', async () => {
  const r = await get({ name: `pub.${ZONE}`, tls: false, path: '/a?b=1' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, `https://pub.${ZONE}/a?b=1`);
  const page = await get({ name: ZONE, tls: false, path: '/.well-known/buckyos/trust' });
  assert.equal(page.status, 200);
  assert.ok(page.body.includes(new X509Certificate(ca).fingerprint256), 'the page shows the CA fingerprint to compare');
  const zh = await new Promise<string>((resolve, reject) => {
    http.get({ host, port: 80, path: '/.well-known/buckyos/trust', headers: { host: ZONE, 'accept-language': 'zh-CN,zh;q=0.9' } }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); }).on('error', reject);
  });
  assert.match(zh, /信任你的家庭云/);
  const file = await get({ name: ZONE, tls: false, path: '/.well-known/buckyos/zone-ca.crt' });
  assert.equal(file.body, ca);
});

test('bad Host headers get structured errors, over HTTPS and HTTP', async () => {
  for (const tls of [true, false]) {
    const foreign = await get({ name: `pub.${ZONE}`, hostHeader: 'evil.example', tls });
    assert.equal(foreign.status, 421);
    assert.match(foreign.body, /NOT_FOUND: evil\.example is not a name of this zone/);
    const junk = await get({ name: `pub.${ZONE}`, hostHeader: 'a b<script>', tls });
    assert.equal(junk.status, 400);
    assert.match(junk.body, /INVALID_PARAMS: the request has no valid Host header/);
    assert.doesNotMatch(junk.body, /<script>/);
  }
});
