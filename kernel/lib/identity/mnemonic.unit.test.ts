import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { HDKey as Slip10Key } from 'micro-key-producer/slip10.js';
import { isKrpcError } from '../errors.js';
import { publicJwkFromPrivatePem } from './keys.js';
import { deriveOwnerKeyMaterial, generateMnemonic, normalizeMnemonic, toChecksumAddress } from './mnemonic.js';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';

test('SLIP-10 ed25519 library matches the SLIP-0010 test vector 1', () => {
  const master = Slip10Key.fromMasterSeed(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'));
  assert.equal(Buffer.from(master.derive("m/0'").privateKey).toString('hex'), '68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3');
});

test('EVM address at m/44\'/60\'/0\'/0/0 matches the well-known vector for "abandon … about"', () => {
  assert.equal(deriveOwnerKeyMaterial(ABANDON).evmAddress, '0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
});

test('owner key at m/9777\'/0\'/0\' is stable (pinned regression vector) and its PEM signs for its JWK', () => {
  const { ownerKey } = deriveOwnerKeyMaterial(ABANDON);
  assert.equal(ownerKey.publicJwk.x, 'TFCczaH036J93MRNk0bMMy5zpAha29uNOO7WgcWnrWo');
  assert.deepEqual(publicJwkFromPrivatePem(ownerKey.privateKeyPem), ownerKey.publicJwk);
  const msg = Buffer.from('zone boot');
  const sig = sign(null, msg, createPrivateKey(ownerKey.privateKeyPem));
  const pub = createPublicKey({ key: { ...ownerKey.publicJwk }, format: 'jwk' });
  assert.equal(verify(null, msg, pub, sig), true);
});

test('same mnemonic → same keys, regardless of case and spacing; different mnemonic → different keys', () => {
  const a = deriveOwnerKeyMaterial(ABANDON);
  const b = deriveOwnerKeyMaterial(`  ${ABANDON.toUpperCase().replace(/ /g, '   ')}\n`);
  assert.equal(b.mnemonic, ABANDON);
  assert.deepEqual(b.ownerKey, a.ownerKey);
  assert.equal(b.evmAddress, a.evmAddress);
  const other = deriveOwnerKeyMaterial(generateMnemonic());
  assert.notEqual(other.ownerKey.publicJwk.x, a.ownerKey.publicJwk.x);
  assert.notEqual(other.evmAddress, a.evmAddress);
});

test('generateMnemonic gives 12 valid English words, fresh each time', () => {
  const m = generateMnemonic();
  assert.equal(m.split(' ').length, 12);
  assert.equal(normalizeMnemonic(m), m);
  assert.notEqual(generateMnemonic(), m);
});

test('invalid phrases fail with a plain INVALID_PARAMS message', () => {
  const checksum = ABANDON.replace(/about$/, 'abandon');
  assert.throws(() => normalizeMnemonic(checksum), (e) => isKrpcError(e, 'INVALID_PARAMS') && /checksum/.test(e.message));
  assert.throws(() => normalizeMnemonic('abandon abandon'), (e) => isKrpcError(e, 'INVALID_PARAMS') && /12 words/.test(e.message));
  assert.throws(() => normalizeMnemonic(ABANDON.replace(/^abandon/, 'abandonn')), (e) => isKrpcError(e, 'INVALID_PARAMS') && /word 1/.test(e.message));
});

test('toChecksumAddress follows EIP-55', () => {
  // From the EIP-55 specification's examples.
  assert.equal(toChecksumAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'), '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
  assert.equal(toChecksumAddress('fb6916095ca1df60bb79ce92ce3ea74c37c5d359'), '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359');
});
