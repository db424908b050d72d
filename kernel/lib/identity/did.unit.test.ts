import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../errors.js';
import { generateEd25519 } from './keys.js';
import {
  buildDeviceDid, devDidFromJwk, didFromHostName, didToHostName, formatDid, isHostName, jwkFromDevDid, parseDid,
} from './did.js';

test('parses and formats did:bns, did:web and ids with colons', () => {
  assert.deepEqual(parseDid('did:bns:alice'), { method: 'bns', id: 'alice' });
  assert.deepEqual(parseDid('did:web:home.example.com'), { method: 'web', id: 'home.example.com' });
  assert.deepEqual(parseDid('did:bns:waterflier:sssn.did'), { method: 'bns', id: 'waterflier:sssn.did' });
  assert.equal(formatDid(parseDid('did:bns:app1.alice')), 'did:bns:app1.alice');
});

test('a bare hostname is did:web; <id>.<method>.did and bridge hosts map back to their method', () => {
  assert.deepEqual(parseDid('buckyos.ai'), { method: 'web', id: 'buckyos.ai' });
  assert.deepEqual(parseDid('abcdef.dev.did'), { method: 'dev', id: 'abcdef' });
  assert.deepEqual(didFromHostName('alice.web3.buckyos.io', { bns: 'web3.buckyos.io' }), { method: 'bns', id: 'alice' });
  assert.deepEqual(didFromHostName('web3.buckyos.io', { bns: 'web3.buckyos.io' }), { method: 'web', id: 'web3.buckyos.io' });
});

test('host name mapping: web → id, bridged → id.bridge, others → id.method.did', () => {
  assert.equal(didToHostName('did:web:home.example.com'), 'home.example.com');
  assert.equal(didToHostName('did:bns:alice'), 'alice.bns.did');
  assert.equal(didToHostName('did:bns:app1.alice', { bns: 'web3.buckyos.io' }), 'app1.alice.web3.buckyos.io');
});

test('rejects malformed DIDs with INVALID_PARAMS', () => {
  for (const bad of ['did:', 'did:bns', 'did:BNS:alice', 'did:bns:', 'did:bns:a b', 'did:bns:a::b', 'not a host', '']) {
    assert.throws(() => parseDid(bad), (e) => isKrpcError(e, 'INVALID_PARAMS'), bad);
  }
});

test('did:dev embeds the Ed25519 key and gives it back as a JWK', () => {
  const { publicJwk } = generateEd25519();
  const did = devDidFromJwk(publicJwk);
  assert.equal(did, `did:dev:${publicJwk.x}`);
  assert.deepEqual(jwkFromDevDid(did), { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x });
  assert.throws(() => jwkFromDevDid('did:dev:tooshort'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  assert.throws(() => jwkFromDevDid(`did:bns:${publicJwk.x}`), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('buildDeviceDid puts the device name under the zone id, keeping the zone method', () => {
  assert.equal(buildDeviceDid('did:bns:alice', 'ood1'), 'did:bns:ood1.alice');
  assert.equal(buildDeviceDid('did:web:home.example.com', 'ood1'), 'did:web:ood1.home.example.com');
  assert.throws(() => buildDeviceDid('did:dev:abc', 'ood1'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  assert.throws(() => buildDeviceDid('did:web:home', 'OOD 1'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('isHostName follows DNS label rules', () => {
  assert.equal(isHostName('home'), true);
  assert.equal(isHostName('ood1.home.example.com'), true);
  assert.equal(isHostName('-home'), false);
  assert.equal(isHostName('home..com'), false);
  assert.equal(isHostName('Home'), false);
  assert.equal(isHostName('a'.repeat(64)), false);
});
