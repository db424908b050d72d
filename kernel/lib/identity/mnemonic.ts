// Owner key material from a 12-word English BIP-39 mnemonic (spec 40 §3): the owner's Ed25519 key at
// SLIP-10 path m/9777'/0'/0' and the EVM address at m/44'/60'/0'/0/0 for OwnerDocument.wallets.main.
// Runs only in the owner's client (CLI, desktop renderer); the mnemonic never reaches a device.
import { generateMnemonic as bip39Generate, mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey as Slip10Key } from 'micro-key-producer/slip10.js';
import { HDKey as Bip32Key } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { KrpcError } from '../errors.js';
import { ed25519FromSeed, type Ed25519KeyPair } from './keys.js';

export const OWNER_DERIVATION_PATH = "m/9777'/0'/0'";
export const EVM_DERIVATION_PATH = "m/44'/60'/0'/0/0";
const WORD_COUNT = 12;

export interface OwnerKeyMaterial {
  /** The normalized mnemonic (lowercase, single spaces). */
  mnemonic: string;
  ownerKey: Ed25519KeyPair;
  /** EIP-55 checksummed. */
  evmAddress: string;
}

export function generateMnemonic(): string {
  return bip39Generate(wordlist, 128);
}

/** Lowercases and collapses whitespace, then checks words and checksum; throws INVALID_PARAMS saying what is wrong. */
export function normalizeMnemonic(input: string): string {
  const words = String(input).trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length !== WORD_COUNT)
    throw new KrpcError('INVALID_PARAMS', `the recovery phrase must have ${WORD_COUNT} words; this one has ${words.length}`);
  const known = new Set(wordlist);
  const unknown = words.findIndex((w) => !known.has(w));
  if (unknown >= 0)
    throw new KrpcError('INVALID_PARAMS', `word ${unknown + 1} of the recovery phrase is not in the BIP-39 English word list; check its spelling`);
  const mnemonic = words.join(' ');
  if (!validateMnemonic(mnemonic, wordlist))
    throw new KrpcError('INVALID_PARAMS', 'the recovery phrase checksum does not match; a word is wrong or the words are out of order');
  return mnemonic;
}

export function deriveOwnerKeyMaterial(input: string): OwnerKeyMaterial {
  const mnemonic = normalizeMnemonic(input);
  const seed = mnemonicToSeedSync(mnemonic);
  try {
    const ownerKey = ed25519FromSeed(Slip10Key.fromMasterSeed(seed).derive(OWNER_DERIVATION_PATH).privateKey);
    const evmKey = Bip32Key.fromMasterSeed(seed).derive(EVM_DERIVATION_PATH);
    return { mnemonic, ownerKey, evmAddress: evmAddressFromPrivateKey(evmKey.privateKey!) };
  } finally {
    seed.fill(0);
  }
}

function evmAddressFromPrivateKey(privateKey: Uint8Array): string {
  const uncompressed = secp256k1.getPublicKey(privateKey, false);
  const address = Buffer.from(keccak_256(uncompressed.subarray(1)).subarray(-20)).toString('hex');
  return toChecksumAddress(address);
}

/** EIP-55: uppercase each hex letter whose nibble in keccak256(lowercase address) is ≥ 8. */
export function toChecksumAddress(hex40: string): string {
  const lower = hex40.replace(/^0x/, '').toLowerCase();
  const hash = Buffer.from(keccak_256(new TextEncoder().encode(lower))).toString('hex');
  let out = '0x';
  for (let i = 0; i < lower.length; i++) out += parseInt(hash[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}
