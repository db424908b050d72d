// The checks a device applies to an OwnerDocument it is handed (spec 40 §3, upstream
// validate_owner_document): id is did:bns:<lowercase name>, #main_key is a public Ed25519 JWK,
// wallets.main is an EVM address, it stays under 4 KB, and nothing in it looks like a secret.
import { KrpcError } from '../errors.js';
import { formatDid } from './did.js';
import { defaultKey, MAIN_KEY_ID, MAX_INLINE_DOCUMENT_BYTES, type OwnerDocument } from './documents.js';
import type { Ed25519PublicJwk } from './keys.js';

const SECRET_KEY_PARTS = ['mnemonic', 'private_key', 'password', 'pwd_hash', 'active_code', 'token'];
const OWNER_NAME = /^[a-z0-9_-]{1,64}$/;
const PUBLIC_JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'kid']);

const invalid = (message: string) => new KrpcError('INVALID_PARAMS', `owner document: ${message}`);

/** Returns the owner's public key when the document passes every check; throws INVALID_PARAMS otherwise. */
export function validateOwnerDocument(doc: OwnerDocument): Ed25519PublicJwk {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('must be a JSON object');
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(doc));
  } catch {
    throw invalid('cannot be serialized (nested too deeply?)');
  }
  if (size >= MAX_INLINE_DOCUMENT_BYTES) throw invalid(`must be smaller than ${MAX_INLINE_DOCUMENT_BYTES} bytes`);
  if (typeof doc.name !== 'string' || !OWNER_NAME.test(doc.name))
    throw invalid('name must be 1-64 lowercase letters, digits, "_" or "-"');
  if (doc.id !== formatDid({ method: 'bns', id: doc.name })) throw invalid(`id must be did:bns:${doc.name}`);
  const key = defaultKey(doc);
  if (!key) throw invalid(`${MAIN_KEY_ID} must be an Ed25519 public key (JWK kty OKP, crv Ed25519)`);
  for (const method of doc.verificationMethod) {
    const members = Object.keys(method?.publicKeyJwk ?? {});
    if (members.some((m) => !PUBLIC_JWK_MEMBERS.has(m)))
      throw invalid('a verification key carries members other than kty/crv/x/kid; never put private key material in a document');
  }
  const main = doc.wallets?.main;
  if (!main || main.type !== 'eth' || typeof main.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(main.address))
    throw invalid('wallets.main must be {type: "eth", address: "0x" + 40 hex digits}');
  const secret = findSecretLookingKey(doc);
  if (secret) throw invalid(`field "${secret}" looks like a secret or personal data; remove it before sending the document`);
  return key;
}

function findSecretLookingKey(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findSecretLookingKey(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    const k = key.toLowerCase();
    if (k === 'email' || SECRET_KEY_PARTS.some((part) => k.includes(part))) return key;
    const found = findSecretLookingKey(child);
    if (found) return found;
  }
  return undefined;
}
