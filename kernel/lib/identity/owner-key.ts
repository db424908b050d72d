// The owner's key from a 12-word English BIP-39 mnemonic (spec 40 §3) and the owner's signature on a
// document, as ONE browser-safe implementation (no node:, no Buffer) that the CLI (through
// mnemonic.ts / document-jwt.ts) and the control panel page both run, so both produce the same bytes:
// the owner's Ed25519 key at SLIP-10 m/9777'/0'/0', the EVM address at m/44'/60'/0'/0/0 for
// OwnerDocument.wallets.main, and EdDSA JWTs with header {"alg":"EdDSA"} exactly as jose writes them
// (Ed25519 signatures are deterministic). The page cannot use WebCrypto: it is missing on plain-http
// LAN addresses, where an unactivated device is reached.
import { generateMnemonic as bip39Generate, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey as Slip10Key } from 'micro-key-producer/slip10.js';
import { HDKey as Bip32Key } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { KrpcError } from '../errors.js';
import { base64UrlEncode } from './base64.js';
import type { Ed25519PublicJwk } from './jwk.js';

export const OWNER_DERIVATION_PATH = "m/9777'/0'/0'";
export const EVM_DERIVATION_PATH = "m/44'/60'/0'/0/0";
export const MNEMONIC_WORD_COUNT = 12;

export interface OwnerKey {
  /** The normalized mnemonic (lowercase, single spaces). */
  mnemonic: string;
  /** The 32-byte Ed25519 private seed; keep it in memory only and wipe it after use. */
  seed: Uint8Array;
  publicJwk: Ed25519PublicJwk;
  /** EIP-55 checksummed. */
  evmAddress: string;
}

export function generateMnemonic(): string {
  return bip39Generate(wordlist, 128);
}

export const isMnemonicWord = (word: string): boolean => wordlist.includes(word);

/** Lowercases and collapses whitespace, then checks words and checksum; throws INVALID_PARAMS saying what is wrong. */
export function normalizeMnemonic(input: string): string {
  const words = String(input).trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length !== MNEMONIC_WORD_COUNT)
    throw new KrpcError('INVALID_PARAMS', `the recovery phrase must have ${MNEMONIC_WORD_COUNT} words; this one has ${words.length}`);
  const known = new Set(wordlist);
  const unknown = words.findIndex((w) => !known.has(w));
  if (unknown >= 0)
    throw new KrpcError('INVALID_PARAMS', `word ${unknown + 1} of the recovery phrase is not in the BIP-39 English word list; check its spelling`);
  const mnemonic = words.join(' ');
  if (!validateMnemonic(mnemonic, wordlist))
    throw new KrpcError('INVALID_PARAMS', 'the recovery phrase checksum does not match; a word is wrong or the words are out of order');
  return mnemonic;
}

export function deriveOwnerKey(input: string): OwnerKey {
  const mnemonic = normalizeMnemonic(input);
  const bip39Seed = mnemonicToSeedSync(mnemonic);
  try {
    const seed = Slip10Key.fromMasterSeed(bip39Seed).derive(OWNER_DERIVATION_PATH).privateKey;
    const evmKey = Bip32Key.fromMasterSeed(bip39Seed).derive(EVM_DERIVATION_PATH);
    const publicJwk: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: base64UrlEncode(ed25519.getPublicKey(seed)) };
    return { mnemonic, seed: Uint8Array.from(seed), publicJwk, evmAddress: evmAddressFromPrivateKey(evmKey.privateKey!) };
  } finally {
    bip39Seed.fill(0);
  }
}

function evmAddressFromPrivateKey(privateKey: Uint8Array): string {
  const uncompressed = secp256k1.getPublicKey(privateKey, false);
  return toChecksumAddress(bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(-20)));
}

/** EIP-55: uppercase each hex letter whose nibble in keccak256(lowercase address) is ≥ 8. */
export function toChecksumAddress(hex40: string): string {
  const lower = hex40.replace(/^0x/, '').toLowerCase();
  const hash = bytesToHex(keccak_256(new TextEncoder().encode(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

const encodeJson = (value: unknown) => base64UrlEncode(new TextEncoder().encode(JSON.stringify(value)));

/** A compact EdDSA JWS over `claims` with header {"alg":"EdDSA"} (as BuckyOS and jose write it), signed by a 32-byte Ed25519 seed. */
export function signEdDsaJwt(claims: object, seed: Uint8Array): string {
  const signingInput = `${encodeJson({ alg: 'EdDSA' })}.${encodeJson(claims)}`;
  return `${signingInput}.${base64UrlEncode(ed25519.sign(new TextEncoder().encode(signingInput), seed))}`;
}
