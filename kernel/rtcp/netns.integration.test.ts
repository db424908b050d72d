// Issue 12 "must show", in network namespaces (root): OOD, NAS and router on one bridge, plus a direct
// router↔NAS link. The router reaches a service on the NAS's loopback over rtcp directly; the direct link
// is cut (link down) → the router reaches it through the OOD as relay, and the relay's capture of every
// byte it carried has no plaintext; the link heals → direct again. Refused: a port the NAS does not
// expose, a revoked device, a device of another zone, a different key for a known name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, tempDirFor } from '../testing/harness.js';
import { createTopology, netnsAvailable, spawnPeer, type Peer } from './netns.js';
import { rtcpTestDevice, rtcpTestZone } from './test-zone.js';
import type { PeerConfig } from './netns-peer.js';

const ECHO = 18080;
const HIDDEN = 18081;
const liveness = { pingIntervalMs: 400, pongTimeoutMs: 1000, maxMissedPongs: 3 };

test('netns: direct rtcp, link cut → relay through the OOD with ciphertext only, heal → direct; refusals', { skip: !netnsAvailable() && 'needs root and ip netns' }, async (t) => {
  const dir = await tempDirFor(t, 'rtcp-netns-');
  const capture = join(dir, 'relay-capture.bin');
  const topo = createTopology();
  t.after(() => topo.destroy());

  const zone = rtcpTestZone();
  const [ood, nas, router, oldtv] = await Promise.all(['ood1', 'nas', 'router', 'oldtv'].map((n) => rtcpTestDevice(zone, n)));
  const peers: Peer[] = [];
  t.after(async () => { for (const p of peers) await p.stop(); });
  const base = { relays: ['ood1'], liveness, directRetryMs: 500 };
  const cfg = (over: Partial<PeerConfig> & Pick<PeerConfig, 'identity' | 'listen' | 'peers'>): PeerConfig => ({ relay: false, echoPorts: [ECHO], hiddenPort: HIDDEN, ...base, ...over });

  // the OOD relays; it knows the NAS and router by their bridge addresses
  const oodPeer = await spawnPeer(topo.ns.ood, cfg({ identity: ood.identity, listen: topo.addr.ood, relay: true, capture, peers: [
    { docJwt: nas.docJwt, addresses: [topo.addr.nas] }, { docJwt: router.docJwt, addresses: [topo.addr.router] }, { docJwt: oldtv.docJwt, addresses: [] },
  ] }));
  peers.push(oodPeer);
  // the NAS refuses oldtv (revoked)
  const nasPeer = await spawnPeer(topo.ns.nas, cfg({ identity: nas.identity, listen: topo.addr.nas, revoked: [oldtv.identity.publicJwk.x], peers: [
    { docJwt: ood.docJwt, addresses: [topo.addr.ood] }, { docJwt: router.docJwt, addresses: [topo.addr.routerDirect] }, { docJwt: oldtv.docJwt, addresses: [] },
  ] }));
  peers.push(nasPeer);
  // the router knows the NAS only by the direct link
  const routerPeer = await spawnPeer(topo.ns.router, cfg({ identity: router.identity, listen: topo.addr.router, peers: [
    { docJwt: ood.docJwt, addresses: [topo.addr.ood] }, { docJwt: nas.docJwt, addresses: [topo.addr.nasDirect] },
  ] }));
  peers.push(routerPeer);

  const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
  const payload = Buffer.concat([Buffer.from(marker), randomBytes(100_000), Buffer.from(marker)]);
  const open = (data: Buffer, port = ECHO) => routerPeer.request<{ data: string; via: string | null }>({ op: 'open', device: 'nas', port, data: data.toString('base64') });

  // 1. direct
  const direct = await open(payload);
  assert.ok(direct.ok, direct.error);
  assert.deepEqual(Buffer.from(direct.data, 'base64'), payload);
  assert.equal(direct.via, null, 'the first stream goes over the direct link');

  // 2. cut the direct link: liveness notices, the next stream goes through the OOD
  topo.cut();
  const relayed = await pollUntil('a stream through the relay', async () => {
    const r = await open(payload);
    return r.ok && r.via === 'ood1' ? r : undefined;
  }, { timeoutMs: 30_000, everyMs: 300, context: () => routerPeer.stderr() });
  assert.deepEqual(Buffer.from(relayed.data, 'base64'), payload);
  const carried = await readFile(capture);
  assert.ok(carried.length > payload.length, `the relay carried the stream (${carried.length} bytes)`);
  assert.equal(carried.indexOf(Buffer.from(marker)), -1, 'the relay never saw the plaintext');
  assert.equal(carried.indexOf(payload.subarray(marker.length, marker.length + 64)), -1, 'nor any run of the payload');

  // 3. heal: the direct retry finds the link again, new streams go direct
  topo.heal();
  await pollUntil('the direct path to come back', async () => {
    const r = await open(Buffer.from('after heal'));
    return r.ok && r.via === null ? r : undefined;
  }, { timeoutMs: 30_000, everyMs: 500, context: () => routerPeer.stderr() });

  // 4. refusals
  const hidden = await open(Buffer.from('x'), HIDDEN);
  assert.equal(hidden.ok, false);
  assert.match(hidden.error ?? '', /REFUSED: nas refused a stream to port 18081: the port is not exposed/);

  const asOther = async (identity: PeerConfig['identity']) => routerPeer.request({ op: 'open-as', identity, device: 'nas', port: ECHO, data: Buffer.from('x').toString('base64') });
  const revoked = await asOther(oldtv.identity);
  assert.equal(revoked.ok, false);
  const foreign = await rtcpTestDevice(rtcpTestZone('mallory'), 'guest');
  const outsider = await asOther({ ...foreign.identity, ownerJwk: zone.owner.publicJwk, ownerDid: zone.ownerDid, zoneDid: zone.zoneDid });
  assert.equal(outsider.ok, false);
  const impostor = await rtcpTestDevice(zone, 'ood1');
  const stolenName = await asOther(impostor.identity);
  assert.equal(stolenName.ok, false);
  const nasLog = (await nasPeer.request<{ log: string[] }>({ op: 'status' })).log.join('\n');
  assert.match(nasLog, /oldtv has been removed from this zone/);
  assert.match(nasLog, /device document is not signed by this zone's owner/);
  assert.match(nasLog, /ood1 presents a key that is not the one this zone knows for it/);
});
