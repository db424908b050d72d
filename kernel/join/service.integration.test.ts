// A real enrolment server (an unjoined node's :3182) on a random loopback address with a temp data dir,
// driven by the typed client and by hand-made bad, forged and racing requests.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { silentLogger } from '../lib/log.js';
import { dataPaths } from '../lib/paths.js';
import { loadNodeIdentity } from '../node-identity.js';
import { JoinClient } from './client.js';
import { keyFingerprint } from './device-key.js';
import { readJoinedZone } from './files.js';
import { startJoinServer, type JoinServer } from './service.js';
import { joinBundle, testZone } from './test-zone.js';
import { randomLoopback, tempDir } from '../testing/harness.js';

const HOST = randomLoopback();
const isCode = (code: ErrorCode) => (e: unknown) => isKrpcError(e, code);
const now = nowSeconds();
const zone = await testZone(now);

const dir = await tempDir('buckyos-join-');
const paths = dataPaths(dir.path);
let joinedCalls = 0;
const start = () => startJoinServer({ paths, host: HOST, port: 0, log: silentLogger, onJoined: () => { joinedCalls++; } });
let server: JoinServer = await start();
const client = () => new JoinClient(`http://${HOST}:${server.port}`);
after(async () => {
  await server.stop();
  await dir.remove();
});

const etcFiles = async () => (await readdir(paths.etc)).filter((f) => !f.startsWith('.')).sort();

test('an unjoined device shows its public key and join code, and keeps its key across restarts', async () => {
  const res = await fetch(`http://${HOST}:${server.port}/device`);
  const info = (await res.json()) as { state: string; device_type: string; join_code: string; device_public_key: Record<string, string> };
  assert.equal(info.state, 'inactive');
  assert.equal(info.device_type, 'server');
  assert.equal(info.device_public_key.d, undefined, 'never the private half');
  const request = await client().joinRequest();
  assert.equal(request.join_code, keyFingerprint(request.device_public_key));
  assert.equal(info.join_code, request.join_code);
  assert.equal(server.joinCode, request.join_code);
  assert.equal((await stat(paths.deviceKey)).mode & 0o777, 0o600);

  await server.stop();
  server = await start();
  assert.equal((await client().joinRequest()).join_code, request.join_code);
  assert.deepEqual(await etcFiles(), ['device_key.pem']);
});

test('malformed, oversized and forged enrolments are refused and write nothing', async () => {
  const raw = new KrpcClient(`http://${HOST}:${server.port}/kapi/join`);
  const { device_public_key: key } = await client().joinRequest();
  const good = await joinBundle(zone, key, now);
  const malformed: Array<[string, unknown, ErrorCode]> = [
    ['unknown member', { ...good, extra: 1 }, 'INVALID_PARAMS'],
    ['missing ood_url', { ...good, ood_url: undefined }, 'INVALID_PARAMS'],
    ['not a JWT', { ...good, device_document_jwt: 'x'.repeat(20) }, 'INVALID_PARAMS'],
    ['ood_url not http', { ...good, ood_url: 'file:///etc/passwd' }, 'INVALID_PARAMS'],
    ['path in the device name', { ...good, node_identity: { ...good.node_identity, device_name: '../x' } }, 'INVALID_PARAMS'],
    ['huge body', { ...good, zone_document_jwt: 'a.b.' + 'c'.repeat(100_000) }, 'PAYLOAD_TOO_LARGE'],
    ['for another device key', await joinBundle(zone, generateEd25519().publicJwk, now), 'INTEGRITY'],
    ['signed by a stranger', await joinBundle(zone, key, now, { signer: generateEd25519() }), 'UNAUTHENTICATED'],
    ['an OOD document', await joinBundle(zone, key, now, { deviceType: 'ood' }), 'INTEGRITY'],
  ];
  for (const [what, params, code] of malformed) await assert.rejects(raw.call('commit_join', params), isCode(code), what);
  assert.deepEqual(await etcFiles(), ['device_key.pem']);
  assert.equal(joinedCalls, 0);
});

test('of two racing enrolments exactly one wins; the device then boots from its files and refuses more', async () => {
  const { device_public_key: key } = await client().joinRequest();
  const [a, b] = await Promise.allSettled([
    client().commitJoin(await joinBundle(zone, key, now, { name: 'nas1' })),
    client().commitJoin(await joinBundle(zone, key, now, { name: 'nas2' })),
  ]);
  const won = [a, b].filter((r) => r.status === 'fulfilled');
  const lost = [a, b].filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.ok(isKrpcError(lost[0].reason, 'ALREADY_ACTIVATED'));
  assert.equal(joinedCalls, 1);

  const id = await loadNodeIdentity(paths);
  assert.equal(id.deviceName, (won[0] as PromiseFulfilledResult<{ device_name: string }>).value.device_name);
  assert.equal(id.zoneDid, 'did:web:testzone');
  assert.equal(id.startConfig, undefined, 'a joined node has no OOD start config');
  assert.equal((await readJoinedZone(paths))?.ood_url, 'http://127.0.0.1:3180');
  await assert.rejects(client().joinRequest(), isCode('ALREADY_ACTIVATED'));
});
