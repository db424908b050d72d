// Ed25519 keys in the forms BuckyOS uses: PKCS#8 PEM for private keys on disk, JWK
// {kty:"OKP", crv:"Ed25519", x} for public keys inside documents and trust-key tables.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { isEd25519PublicJwk, type Ed25519PublicJwk } from './jwk.js';

export { isEd25519PublicJwk, sameKey, type Ed25519PublicJwk } from './jwk.js';

export interface Ed25519KeyPair {
  privateKeyPem: string;
  publicJwk: Ed25519PublicJwk;
}

// DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function generateEd25519(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicJwk: toPublicJwk(publicKey) };
}

/** The key pair for a 32-byte seed (used for mnemonic-derived owner keys). */
export function ed25519FromSeed(seed: Uint8Array): Ed25519KeyPair {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]), format: 'der', type: 'pkcs8' });
  return { privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(), publicJwk: toPublicJwk(createPublicKey(key)) };
}

export function toPublicJwk(key: KeyObject): Ed25519PublicJwk {
  const jwk = key.export({ format: 'jwk' }) as { kty?: string; crv?: string; x?: string };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 key');
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
}

export function publicJwkFromPrivatePem(pem: string): Ed25519PublicJwk {
  return toPublicJwk(createPublicKey(createPrivateKey(pem)));
}

export function privateKeyObject(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('private key is not Ed25519');
  return key;
}

export function publicKeyObject(jwk: Ed25519PublicJwk): KeyObject {
  if (!isEd25519PublicJwk(jwk)) throw new Error('public key is not an Ed25519 JWK');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
}

