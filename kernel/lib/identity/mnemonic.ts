// Owner key material for the CLI: the browser-safe derivation in owner-key.ts plus the PKCS#8 PEM the
// kernel's jose-based signing takes. The mnemonic never reaches a device.
import { deriveOwnerKey } from './owner-key.js';
import { ed25519FromSeed, type Ed25519KeyPair } from './keys.js';

export { EVM_DERIVATION_PATH, OWNER_DERIVATION_PATH, generateMnemonic, normalizeMnemonic, toChecksumAddress } from './owner-key.js';

export interface OwnerKeyMaterial {
  /** The normalized mnemonic (lowercase, single spaces). */
  mnemonic: string;
  ownerKey: Ed25519KeyPair;
  /** EIP-55 checksummed. */
  evmAddress: string;
}

export function deriveOwnerKeyMaterial(input: string): OwnerKeyMaterial {
  const key = deriveOwnerKey(input);
  try {
    return { mnemonic: key.mnemonic, ownerKey: ed25519FromSeed(key.seed), evmAddress: key.evmAddress };
  } finally {
    key.seed.fill(0);
  }
}
