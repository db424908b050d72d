// rtcp stacks on loopback addresses, real TCP: tunnels, streams both ways (Open and ROpen), the
// refusals of issue 12 and a relay that carries only ciphertext. The same in network namespaces, with a
// link really cut, is in netns.integration.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { randomLoopback, pollUntil } from '../testing/harness.js';
import { RtcpStack, type RtcpStackOptions } from './stack.js';
import { StaticDirectory } from './directory.js';
import { rtcpTestDelegation, rtcpTestDevice, rtcpTestZone, type TestDevice } from './test-zone.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { encodePacket } from './packet.js';
import { freshEphemeral } from './crypto.js';
import { HELLO_AUD, signToken } from './token.js';
import { canonicalDidOf, hostOf } from './trust.js';
import { relayTunnelUrl, streamUrl } from './url.js';
import type { Logger } from '../lib/log.js';
import { rtcpAgent } from './connector.js';
import { startDialBridge } from './dial-bridge.js';
import { createDialer } from './gateway-dialer.js';

/** An echo service bound to a device's own loopback address. */
async function echoServer(host: string): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, host, r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

/** Writes `data`, half-closes, and collects what comes back until the end. */
function roundTrip(s: Duplex, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.end(data);
  });
}

interface Node {
  dev: TestDevice;
  ip: string;
  stack: RtcpStack;
  dir: StaticDirectory;
  echo: { port: number; close(): void };
}

async function startNode(dev: TestDevice, ip: string, dir: StaticDirectory, extra: Partial<RtcpStackOptions> = {}): Promise<Node> {
  const echo = await echoServer(ip);
  const stack = new RtcpStack({
    identity: dev.identity, directory: dir, localHost: ip, listen: { host: ip, port: 2980 },
    exposes: (port) => port === echo.port, relay: true, liveness: { pingIntervalMs: 500, pongTimeoutMs: 1000, maxMissedPongs: 3 },
    directRetryMs: 300, connectTimeoutMs: 1000, ...extra,
  });
  await stack.start();
  return { dev, ip, stack, dir, echo };
}

function capturingLog(lines: string[]): Logger {
  const log: Logger = { debug() {}, info() {}, error() {}, warn: (m, f) => { lines.push(`${m} ${JSON.stringify(f ?? {})}`); }, child: () => log };
  return log;
}

async function zoneOf3(t: { after(fn: () => Promise<void>): void }) {
  const nasLog: string[] = [];
  const zone = rtcpTestZone();
  const [ood, nas, router] = await Promise.all(['ood1', 'nas', 'router'].map((n) => rtcpTestDevice(zone, n)));
  const ips = { ood: randomLoopback(), nas: randomLoopback(), router: randomLoopback() };
  // every device knows every other's document; addresses as discovery would give them
  const dirFor = () => new StaticDirectory().set(ood.docJwt, [ips.ood]).set(nas.docJwt, [ips.nas]).set(router.docJwt, [ips.router]).setRelays(['ood1']);
  const nodes = {
    ood: await startNode(ood, ips.ood, dirFor()),
    nas: await startNode(nas, ips.nas, dirFor(), { log: capturingLog(nasLog) }),
    router: await startNode(router, ips.router, dirFor()),
  };
  t.after(async () => { for (const n of Object.values(nodes)) { n.echo.close(); await n.stack.stop(); } });
  return { zone, nodes, nasLog };
}

test('a stream from the router reaches a service on the NAS loopback, and the NAS reaches the router back through the same tunnel (ROpen)', async (t) => {
  const { nodes } = await zoneOf3(t);
  const payload = randomBytes(1024 * 1024 + 7);
  const s = await nodes.router.stack.openStream('nas', nodes.nas.echo.port);
  assert.deepEqual(await roundTrip(s, payload), payload);
  // URL form and DID form reach the same device over the same tunnel
  const s2 = await nodes.router.stack.openStream(streamUrl('nas', nodes.nas.echo.port));
  assert.equal((await roundTrip(s2, Buffer.from('hello'))).toString(), 'hello');
  assert.equal(nodes.router.stack.status().filter((x) => x.device === 'nas').length, 1);

  // The NAS is told no address for the router: it can only use the router's tunnel, so the router dials the leg.
  nodes.nas.dir.setAddresses('router', []);
  const back = await nodes.nas.stack.openStream('router', nodes.router.echo.port);
  assert.equal((await roundTrip(back, Buffer.from('from the nas'))).toString(), 'from the nas');
  const nasView = nodes.nas.stack.status().find((x) => x.device === 'router');
  assert.equal(nasView?.direction, 'in');
});

test('refused: a port the target does not expose, a revoked device, a device of another zone, a different key for a known name', async (t) => {
  const { zone, nodes, nasLog } = await zoneOf3(t);
  // a port nobody exposed
  const hidden = await echoServer(nodes.nas.ip);
  t.after(() => hidden.close());
  await assert.rejects(nodes.router.stack.openStream('nas', hidden.port), /REFUSED: nas refused a stream to port \d+: the port is not exposed/);

  // another zone's device, presenting its own owner's document
  const other = rtcpTestZone('mallory');
  const intruder = await rtcpTestDevice(other, 'nas2');
  const outsiderDir = new StaticDirectory().set(nodes.nas.dev.docJwt, [nodes.nas.ip]);
  const outsiderStack = new RtcpStack({ identity: { ...intruder.identity, ownerJwk: zone.owner.publicJwk, ownerDid: zone.ownerDid, zoneDid: zone.zoneDid }, directory: outsiderDir, localHost: '127.0.0.1', exposes: () => false, connectTimeoutMs: 1000 });
  t.after(() => outsiderStack.stop());
  await assert.rejects(outsiderStack.openStream('nas', nodes.nas.echo.port), /UNREACHABLE|CLOSED|REFUSED/);
  assert.ok(nasLog.some((l) => l.includes("device document is not signed by this zone's owner")), nasLog.join('\n'));

  // a device signed by our owner but under a name we know with another key (an old document, a stolen name)
  const impostor = await rtcpTestDevice(zone, 'router');
  const impostorStack = new RtcpStack({ identity: impostor.identity, directory: new StaticDirectory().set(nodes.nas.dev.docJwt, [nodes.nas.ip]), localHost: '127.0.0.1', exposes: () => false, connectTimeoutMs: 1000 });
  t.after(() => impostorStack.stop());
  await assert.rejects(impostorStack.openStream('nas', nodes.nas.echo.port), /UNREACHABLE|CLOSED|REFUSED/);
  assert.ok(nasLog.some((l) => l.includes('router presents a key that is not the one this zone knows for it')), nasLog.join('\n'));

  // a revoked device: refused at the handshake, and its live tunnel is closed when the list changes
  const revoked = new Set<string>();
  let notify = () => {};
  await nodes.nas.stack.stop();
  const ip2 = nodes.nas.ip;
  const listening = new RtcpStack({
    identity: nodes.nas.dev.identity, directory: nodes.nas.dir, localHost: ip2, listen: { host: ip2, port: 2980 }, exposes: () => true,
    revocations: { isRevoked: (d) => revoked.has(d.name), onChange: (l) => { notify = l; } },
  });
  await listening.start();
  // refused at the handshake while revoked
  revoked.add('router');
  await assert.rejects(nodes.router.stack.openStream('nas', nodes.nas.echo.port, { directOnly: true }), /UNREACHABLE/);
  revoked.delete('router');
  t.after(() => listening.stop());
  const live = await nodes.router.stack.openStream('nas', nodes.nas.echo.port);
  assert.equal((await roundTrip(live, Buffer.from('before'))).toString(), 'before');
  revoked.add('router');
  notify();
  await pollUntil('the revoked router tunnel to close', async () => (listening.status().some((s) => s.device === 'router') ? undefined : true), { timeoutMs: 10_000 });
  await pollUntil('the router to notice', async () => (nodes.router.stack.status().some((s) => s.device === 'nas') ? undefined : true), { timeoutMs: 10_000 });
  await assert.rejects(nodes.router.stack.openStream('nas', nodes.nas.echo.port, { directOnly: true }), /UNREACHABLE/);
});

test('the rtcp port answers no plain HTTP, and a replayed Hello is refused', async (t) => {
  const { nodes } = await zoneOf3(t);
  const http = await new Promise<string>((resolve) => {
    const s = net.connect({ host: nodes.nas.ip, port: 2980 }, () => s.write('GET / HTTP/1.0\r\n\r\n'));
    let got = '';
    s.on('data', (c) => { got += c.toString('latin1'); });
    s.on('close', () => resolve(got));
    s.on('error', () => {});
  });
  assert.doesNotMatch(http, /^HTTP\/1\.[01] 200/);
  assert.equal(http, '');

  // A Hello built exactly as the router would; the first copy gets a HelloAck, the same bytes again do not.
  const r = nodes.router.dev.identity;
  const nas = nodes.nas.dev;
  const iat = Math.floor(Date.now() / 1000);
  const token = signToken({ aud: HELLO_AUD, to: hostOf(nas.identity.deviceDid), canonical_to: canonicalDidOf(nas.identity.publicJwk), from: hostOf(r.deviceDid), listen_port: 2980, xpub: freshEphemeral().publicHex, iat, exp: iat + 60, nonce: randomBytes(16).toString('hex') }, r.privateKeyPem);
  const hello = encodePacket({ cmd: 'Hello', seq: 0, body: { from_id: r.deviceDid, to_id: nas.identity.deviceDid, my_port: 2980, tunnel_token: token, device_doc_jwt: r.deviceDocJwt } });
  const firstReply = (): Promise<Buffer> => new Promise((resolve) => {
    const s = net.connect({ host: nodes.nas.ip, port: 2980 }, () => s.write(hello));
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => { chunks.push(c); s.destroy(); });
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', () => {});
  });
  const a = await firstReply();
  assert.ok(a.length > 8 && a[3] === 2, 'the first Hello is answered with a HelloAck');
  const b = await firstReply();
  assert.equal(b.length, 0, 'the replayed Hello gets nothing');
});

test('through a relay: rtcp://<encoded relay>@nas/ carries the handshake end to end, the relay sees no plaintext; with no direct path the relay is used, and the direct path wins again when it is back', async (t) => {
  const seen: Buffer[] = [];
  const zone = rtcpTestZone();
  const [ood, nas, router] = await Promise.all(['ood1', 'nas', 'router'].map((n) => rtcpTestDevice(zone, n)));
  const ips = { ood: randomLoopback(), nas: randomLoopback(), router: randomLoopback() };
  const dirFor = () => new StaticDirectory().set(ood.docJwt, [ips.ood]).set(nas.docJwt, [ips.nas]).set(router.docJwt, [ips.router]).setRelays(['ood1']);
  const n = {
    ood: await startNode(ood, ips.ood, dirFor(), { relayTap: (_d, c) => seen.push(Buffer.from(c)) }),
    nas: await startNode(nas, ips.nas, dirFor()),
    router: await startNode(router, ips.router, dirFor()),
  };
  t.after(async () => { for (const x of Object.values(n)) { x.echo.close(); await x.stack.stop(); } });
  const marker = Buffer.from(`PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`);
  const payload = Buffer.concat([marker, randomBytes(200_000), marker]);

  // explicit relay URL
  const url = `${relayTunnelUrl('ood1', 'nas').replace(/\/$/, '')}/:${n.nas.echo.port}`;
  const s = await n.router.stack.openStream(url);
  assert.deepEqual(await roundTrip(s, payload), payload);
  assert.equal(n.router.stack.status().find((x) => x.device === 'nas')?.via, 'ood1');
  const carried = Buffer.concat(seen);
  assert.ok(carried.length > payload.length, `the relay carried the stream (${carried.length} bytes)`);
  assert.equal(carried.indexOf(marker), -1, 'the relay never saw the plaintext');
  assert.ok(carried.includes(Buffer.from('"tunnel_token"')), 'what the relay can read is the Hello (identity metadata, as upstream documents)');

  // the router's direct path to the NAS is gone (wrong address): it falls back to the relay by itself
  await n.router.stack.stop();
  const routerDir = dirFor();
  routerDir.setAddresses('nas', ['127.0.0.1']); // nothing listens for rtcp there
  const router2 = await startNode(router, randomLoopback(), routerDir);
  t.after(async () => { router2.echo.close(); await router2.stack.stop(); });
  const viaRelay = await router2.stack.openStream('nas', n.nas.echo.port);
  assert.equal((await roundTrip(viaRelay, Buffer.from('relayed'))).toString(), 'relayed');
  assert.equal(router2.stack.status().find((x) => x.device === 'nas')?.via, 'ood1');

  // heal: the direct address is known again → the retry finds it and new streams go direct
  routerDir.setAddresses('nas', [ips.nas]);
  await pollUntil('the direct tunnel to come back', async () => (router2.stack.status().find((x) => x.device === 'nas' && !x.via) ? true : undefined), { timeoutMs: 15_000 });
  const direct = await router2.stack.openStream('nas', n.nas.echo.port);
  assert.equal((await roundTrip(direct, Buffer.from('direct'))).toString(), 'direct');
});

test('the gateway connector: node:http requests to a device name ride pooled rtcp streams', async (t) => {
  const { nodes } = await zoneOf3(t);
  const server = http.createServer((req, res) => { res.setHeader('content-type', 'text/plain'); res.end(`${req.method} ${req.url} on nas`); });
  await new Promise<void>((r) => server.listen(0, nodes.nas.ip, r));
  t.after(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const nasExposes = new Set([nodes.nas.echo.port, port]);
  // restart the NAS stack with the HTTP port exposed too
  await nodes.nas.stack.stop();
  const nas = new RtcpStack({ identity: nodes.nas.dev.identity, directory: nodes.nas.dir, localHost: nodes.nas.ip, listen: { host: nodes.nas.ip, port: 2980 }, exposes: (p) => nasExposes.has(p) });
  await nas.start();
  t.after(() => nas.stop());
  const agent = rtcpAgent(nodes.router.stack);
  t.after(() => agent.destroy());
  const get = (path: string) => new Promise<string>((resolve, reject) => {
    http.get({ host: 'nas', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    }).on('error', reject);
  });
  assert.equal(await get('/a'), '200 GET /a on nas');
  assert.equal(await get('/b'), '200 GET /b on nas');
  const used = nodes.router.stack.status().find((s) => s.device === 'nas')?.streams;
  assert.equal(used, 1, 'the second request reused the first stream');
  await Promise.all(Array.from({ length: 20 }, (_, i) => get(`/p${i}`).then((r) => assert.equal(r, `200 GET /p${i} on nas`))));
});

test('the dial bridge: a gateway dialer in another thread reaches rtcp:// targets through this node\'s stack', async (t) => {
  const { nodes } = await zoneOf3(t);
  const bridge = await startDialBridge(nodes.router.stack);
  t.after(() => bridge.stop());
  const dial = createDialer({ bridge: { host: bridge.host, port: bridge.port, secret: bridge.secret } });
  const s = await dial({ host: 'nas', port: nodes.nas.echo.port, url: 'rtcp://nas/' }, new AbortController().signal);
  assert.equal((await roundTrip(s, Buffer.from('over the bridge'))).toString(), 'over the bridge');
  await assert.rejects(dial({ host: 'nas', port: 1, url: 'rtcp://nas/' }, new AbortController().signal), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED' && /not exposed/.test(e.message));
  // without the secret the bridge says nothing
  const raw = await new Promise<string>((resolve) => {
    const c = net.connect({ host: bridge.host, port: bridge.port }, () => c.write(`wrong rtcp://nas/:${nodes.nas.echo.port}\n`));
    let got = '';
    c.on('data', (d) => { got += d.toString(); });
    c.on('close', () => resolve(got));
    c.on('error', () => {});
  });
  assert.equal(raw, '');
});

test('a node approved by delegation (its document signed by the OOD\'s enrolment key) tunnels; revoking the delegation closes it; a delegate may not sign an OOD', async (t) => {
  const zone = rtcpTestZone();
  const delegate = generateEd25519();
  const jti = `deleg${randomBytes(6).toString('hex')}`;
  const delegationJwt = await rtcpTestDelegation(zone, delegate, jti);
  const ood = await rtcpTestDevice(zone, 'ood1');
  const nas = await rtcpTestDevice(zone, 'nas', { delegated: { delegate, delegationJwt } });
  const ips = { ood: randomLoopback(), nas: randomLoopback() };
  const dirFor = () => new StaticDirectory().set(ood.docJwt, [ips.ood]).set(nas.docJwt, [ips.nas]);
  const revoked = new Set<string>();
  let notify = () => {};
  const oodNode = await startNode(ood, ips.ood, dirFor(), { revocations: { isRevoked: (d) => d.delegationJti !== undefined && revoked.has(d.delegationJti), onChange: (l) => { notify = l; } } });
  const nasNode = await startNode(nas, ips.nas, dirFor());
  t.after(async () => { for (const n of [oodNode, nasNode]) { n.echo.close(); await n.stack.stop(); } });

  // both ways: the NAS dials the OOD, the OOD dials the NAS (each verifies the other's document)
  const up = await nasNode.stack.openStream('ood1', oodNode.echo.port, { directOnly: true });
  assert.equal((await roundTrip(up, Buffer.from('to the ood'))).toString(), 'to the ood');
  const down = await oodNode.stack.openStream('nas', nasNode.echo.port, { directOnly: true });
  assert.equal((await roundTrip(down, Buffer.from('to the nas'))).toString(), 'to the nas');

  // the owner revokes the delegation: the OOD closes the tunnel and refuses the NAS from then on
  revoked.add(jti);
  notify();
  await pollUntil('the tunnel of the revoked delegation to close', async () => (oodNode.stack.status().some((s) => s.device === 'nas') ? undefined : true), { timeoutMs: 10_000 });
  await pollUntil('the NAS to notice', async () => (nasNode.stack.status().some((s) => s.device === 'ood1') ? undefined : true), { timeoutMs: 10_000 });
  await assert.rejects(nasNode.stack.openStream('ood1', oodNode.echo.port, { directOnly: true }), /UNREACHABLE/);

  // a delegate-signed document that says it is an OOD is not trusted
  const fakeOod = await rtcpTestDevice(zone, 'ood2', { delegated: { delegate, delegationJwt } });
  const forged = JSON.parse(Buffer.from(fakeOod.docJwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
  const { signJwt } = await import('../lib/identity/jwt.js');
  const ood2Doc = await signJwt({ ...forged, device_type: 'ood' }, delegate.privateKeyPem);
  const { verifyPeerDocument } = await import('./trust.js');
  await assert.rejects(verifyPeerDocument(ood.identity, ood2Doc), /device document is not signed by this zone's owner or its enrolment delegate .*may not sign a "ood" device/);
});
