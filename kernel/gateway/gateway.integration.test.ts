// The node gateway against real upstream HTTP servers: routing by service, app path and app host,
// streaming in both directions, clear errors when the target is down, and no forwarding loops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { startGateway } from './service.js';
import { GATEWAY_SECRET_HEADER } from '../lib/gateway-secret.js';
import { StaticResolver, type GatewayResolver, type ResolverSnapshot } from './resolver.js';
import { silentLogger } from '../lib/log.js';
import { pollUntil, randomLoopback } from '../testing/harness.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const host = randomLoopback();

async function upstream(handler: http.RequestListener): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(handler);
  server.listen(0, host);
  await once(server, 'listening');
  return { port: (server.address() as { port: number }).port, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const echo = await upstream((req, res) => {
  if (req.url?.startsWith('/hash')) {
    const h = createHash('sha256');
    let n = 0;
    req.on('data', (c: Buffer) => { h.update(c); n += c.length; });
    req.on('end', () => { res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex') })); });
    return;
  }
  if (req.url?.startsWith('/refuse')) {
    // An early refusal, as the repo answers an upload it cannot store: the body is not read first
    // (Node reads and drops it once the answer is sent).
    res.writeHead(507, { 'content-type': 'application/json' });
    res.end('{"error":"RESOURCE_EXHAUSTED: the disk is full"}');
    return;
  }
  if (req.url?.startsWith('/big')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let left = 32;
    const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return res.once('drain', pump); } res.end(); };
    return pump();
  }
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo' });
  res.end(JSON.stringify({ method: req.method, url: req.url, host: req.headers.host, hop: req.headers['x-buckyos-hop'] ?? null, fwd: req.headers['x-forwarded-for'] ?? null, secret: req.headers[GATEWAY_SECRET_HEADER] ?? null }));
});
const stopped = await upstream(() => {});
const closedPort = stopped.port;
await stopped.close();

const GATEWAY_SECRET = 'a'.repeat(43);
const resolver = new StaticResolver();
resolver.setService('verify-hub', { host, port: echo.port });
resolver.setService('dead-svc', { host, port: closedPort });
resolver.setApp('notes', { host, port: echo.port, appId: 'notes' });
resolver.setApp('remote', { host, port: echo.port, appId: 'remote', viaGateway: true });
const gw = await startGateway({ host, port: 0, log: silentLogger, resolver, zoneHost: 'home.test', gatewaySecret: GATEWAY_SECRET });
const base = `http://${host}:${gw.port}`;
after(async () => { await gw.stop(); await echo.close(); });

const json = async (r: Response) => JSON.parse(await r.text());

/** fetch() may not set Host, so host-based routing is exercised with node:http. */
function getWithHost(path: string, hostHeader: string): Promise<{ url: string; host: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host, port: gw.port, path, headers: { host: hostHeader } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

test('/kapi/<service> is forwarded with path, method and headers; _ and - name the same service', async () => {
  const r = await fetch(`${base}/kapi/verify_hub?x=1`, { method: 'POST', body: '{}' });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-upstream'), 'echo');
  const body = await json(r);
  assert.equal(body.method, 'POST');
  assert.equal(body.url, '/kapi/verify_hub?x=1');
  assert.match(body.fwd, /127\./);
  assert.equal((await fetch(`${base}/kapi/verify-hub`, { method: 'POST', body: '{}' })).status, 200);
});

test('X-Forwarded-For is overwritten with the real peer; only verify-hub gets the gateway secret, never a client-sent one', async () => {
  const forged = { 'x-forwarded-for': '203.0.113.66', [GATEWAY_SECRET_HEADER]: 'forged' };
  const hub = await json(await fetch(`${base}/kapi/verify_hub`, { method: 'POST', body: '{}', headers: forged }));
  assert.match(hub.fwd, /^(127\.[0-9.]+|::ffff:127\.[0-9.]+)$/, `only the peer address: ${hub.fwd}`);
  assert.equal(hub.secret, GATEWAY_SECRET);
  for (const path of ['/apps/notes/x', '/apps/remote/x']) {
    const r = await fetch(`${base}${path}`, { headers: forged });
    assert.equal(r.headers.get('x-upstream'), 'echo');
    const body = await json(r);
    assert.equal(body.secret, null, `${path} got a gateway secret`);
    assert.doesNotMatch(body.fwd, /203\.0\.113\.66/, `${path} passed the client's X-Forwarded-For on`);
  }
});

test('apps by path (prefix stripped, trailing slash added) and by host name', async () => {
  const redirect = await fetch(`${base}/apps/notes`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/apps/notes/');
  assert.equal((await json(await fetch(`${base}/apps/notes/list?q=a`))).url, '/list?q=a');
  const byHost = await getWithHost('/page', 'notes.home.test');
  assert.equal(byHost.url, '/page');
  assert.equal(byHost.host, 'notes.home.test');
});

test('unknown services and apps get a plain 404, a stopped service a 503 with a kRPC error', async () => {
  const unknown = await fetch(`${base}/kapi/nope`, { method: 'POST', body: '{}' });
  assert.equal(unknown.status, 404);
  assert.match((await json(unknown)).error, /^NOT_FOUND: no service "nope"/);
  const page = await fetch(`${base}/apps/ghost/`, { headers: { accept: 'text/html' } });
  assert.equal(page.status, 404);
  assert.match(await page.text(), /no app &#34;ghost&#34; is installed/);
  const dead = await fetch(`${base}/kapi/dead-svc`, { method: 'POST', body: '{}' });
  assert.equal(dead.status, 503);
  assert.match((await json(dead)).error, /^UNAVAILABLE: service "dead-svc": the service is not running/);
});

test('bodies stream through in both directions without being corrupted', async () => {
  const payload = Buffer.alloc(20 * 1024 * 1024);
  for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251;
  const up = await json(await fetch(`${base}/apps/notes/hash`, { method: 'PUT', body: payload }));
  assert.equal(up.bytes, payload.length);
  assert.equal(up.sha256, createHash('sha256').update(payload).digest('hex'));
  const down = Buffer.from(await (await fetch(`${base}/apps/notes/big`)).arrayBuffer());
  assert.equal(down.length, 32 * 1024 * 1024);
  assert.ok(down.every((b) => b === 7), 'downloaded bytes differ from what the app sent');
});

test('a service that answers before the whole body arrived: the client gets that answer', async () => {
  for (let round = 0; round < 3; round++) {
    const payload = Buffer.alloc(16 * 1024 * 1024, 3);
    const req = http.request({ host, port: gw.port, method: 'PUT', path: '/apps/notes/refuse', headers: { 'content-length': String(payload.length) } });
    let at = 0;
    let answered = false;
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        // As our upload client does: stop sending once answered.
        answered = true;
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => { req.destroy(); resolve({ status: res.statusCode ?? 0, body }); });
      });
      req.on('error', (e) => { if (!answered) reject(e); });
    });
    // Sent in pieces, as an upload from a file is: the answer arrives while most of it is still to come.
    const pump = () => {
      while (at < payload.length && !answered) {
        const piece = payload.subarray(at, at + 256 * 1024);
        at += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
    const { status, body } = await answer;
    assert.equal(status, 507, `round ${round}`);
    assert.match(body, /RESOURCE_EXHAUSTED/);
  }
  const after = await fetch(`${base}/apps/notes/hash`, { method: 'PUT', body: 'still fine' });
  assert.equal((await json(after)).bytes, 10);
});

test('forwarding to another node\'s gateway keeps the original URL and is done once only', async () => {
  const first = await json(await fetch(`${base}/apps/remote/x`));
  assert.equal(first.url, '/apps/remote/x');
  assert.equal(first.hop, '1');
  const looped = await fetch(`${base}/apps/remote/x`, { headers: { 'x-buckyos-hop': '1' } });
  assert.equal(looped.status, 502);
});

test('the data plane runs off the caller\'s event loop: a blocked main thread does not stop forwarding', async () => {
  // The kernel's services share the main thread; the gateway's data plane has its own.
  const pending = fetch(`${base}/apps/notes/blocked`);
  const until = Date.now() + 300;
  while (Date.now() < until) { /* the main thread is busy */ }
  assert.equal((await json(await pending)).url, '/blocked');
});

test('weighted choice among primaries, failover to the next target and to backups when a connection cannot be opened', async () => {
  const hits = { a: 0, b: 0, backup: 0 };
  const a = await upstream((_q, r) => { hits.a++; r.end('a'); });
  const b = await upstream((_q, r) => { hits.b++; r.end('b'); });
  const backup = await upstream((_q, r) => { hits.backup++; r.end('backup'); });
  const t = (port: number) => ({ host, port });
  let table: ResolverSnapshot = {
    services: { weighted: { primary: [{ target: t(a.port), weight: 3 }, { target: t(b.port), weight: 1 }], backup: [] } },
    apps: {}, serviceHosts: {},
  };
  const listeners: Array<() => void> = [];
  const routes: GatewayResolver = { service: () => undefined, app: () => undefined, snapshot: () => table, onChange: (l) => listeners.push(l) };
  const g = await startGateway({ host, port: 0, log: silentLogger, resolver: routes });
  try {
    const url = `http://${host}:${g.port}/kapi/weighted`;
    for (let i = 0; i < 40; i++) await (await fetch(url, { method: 'POST', body: '{}' })).text();
    assert.equal(hits.a, 30, `3:1 weights: ${JSON.stringify(hits)}`);
    assert.equal(hits.b, 10);
    // Both primaries down (nothing listens on closedPort): the backup answers, the body arrives whole.
    table = { ...table, services: { weighted: { primary: [{ target: t(closedPort), weight: 1 }, { target: { host, port: closedPort, url: 'rtcp://nowhere/:3180' }, weight: 1 }], backup: [{ target: t(backup.port), weight: 1 }] } } };
    for (const l of listeners) l();
    const answered = await pollUntil('the new routes', async () => {
      const r = await fetch(url, { method: 'POST', body: 'x'.repeat(100_000) });
      const text = await r.text();
      return text === 'backup' ? text : undefined;
    }, { timeoutMs: 10_000 });
    assert.equal(answered, 'backup');
    // Nothing connects at all: a structured 503.
    table = { ...table, services: { weighted: { primary: [{ target: t(closedPort), weight: 1 }], backup: [] } } };
    for (const l of listeners) l();
    const down = await pollUntil('the dead route', async () => {
      const r = await fetch(url, { method: 'POST', body: '{}' });
      return r.status === 503 ? r : undefined;
    }, { timeoutMs: 10_000 });
    assert.match((await json(down)).error, /^UNAVAILABLE: service "weighted": the service is not running/);
  } finally {
    await g.stop();
    await Promise.all([a.close(), b.close(), backup.close()]);
  }
});

test('the dialer is pluggable: a dialer module gets every upstream connection (an rtcp route, say)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gw-dialer-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const mod = join(dir, 'dialer.mjs');
  // Maps rtcp://<device>/:<port> to the echo server and counts what it dialed (kept in globalThis for the check).
  await writeFile(mod, `import net from 'node:net';
export function createDialer(o) {
  return (target, signal) => new Promise((resolve, reject) => {
    if (!target.url?.startsWith('rtcp://')) return reject(new Error('only rtcp here'));
    const s = net.connect({ host: o.host, port: o.port });
    s.once('connect', () => resolve(s)); s.once('error', reject);
    signal.addEventListener('abort', () => s.destroy());
  });
}`);
  const table: ResolverSnapshot = { services: {}, apps: { tunneled: { primary: [{ target: { host: 'nas', port: 3180, viaGateway: true, node: 'nas', url: 'rtcp://nas/:3180' }, weight: 100 }], backup: [], appId: 'tunneled', access: 'private', exposed: false } }, serviceHosts: {} };
  const routes: GatewayResolver = { service: () => undefined, app: () => undefined, snapshot: () => table, onChange: () => {} };
  const g = await startGateway({ host, port: 0, log: silentLogger, resolver: routes, dialer: { module: pathToFileURL(mod).href, options: { host, port: echo.port } } });
  try {
    const body = await json(await fetch(`http://${host}:${g.port}/apps/tunneled/x?y=1`));
    assert.equal(body.url, '/apps/tunneled/x?y=1', 'a remote gateway gets the original URL');
    assert.equal(body.hop, '1');
  } finally {
    await g.stop();
  }
});
