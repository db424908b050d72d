// The node gateway against real upstream HTTP servers: routing by service, app path and app host,
// streaming in both directions, clear errors when the target is down, and no forwarding loops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { startGateway } from './service.js';
import { GATEWAY_SECRET_HEADER } from '../lib/gateway-secret.js';
import { StaticResolver } from './resolver.js';
import { silentLogger } from '../lib/log.js';
import { randomLoopback } from '../testing/harness.js';

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

test('forwarding to another node\'s gateway keeps the original URL and is done once only', async () => {
  const first = await json(await fetch(`${base}/apps/remote/x`));
  assert.equal(first.url, '/apps/remote/x');
  assert.equal(first.hop, '1');
  const looped = await fetch(`${base}/apps/remote/x`, { headers: { 'x-buckyos-hop': '1' } });
  assert.equal(looped.status, 502);
});
