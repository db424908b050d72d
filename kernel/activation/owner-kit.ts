// The entry of the owner kit's browser bundle (kernel/api/owner-kit.ts says why it exists): the
// owner-side code the CLI runs, put together for the page. Browser-safe like everything it imports.
import type { OwnerKit } from '../api/owner-kit.js';
import { canonicalPairingCode, delegationRequestProblem, parsePairingUrl } from '../api/devices.js';
import { base64UrlEncode } from '../lib/identity/base64.js';
import { deriveOwnerKey, generateMnemonic, normalizeMnemonic, signEdDsaJwt } from '../lib/identity/owner-key.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { normalizeOwnerName, normalizeZoneName, runOwnerActivation } from './owner-flow.js';

export const ownerKit: OwnerKit = {
  generateMnemonic,
  normalizeMnemonic,
  normalizeOwnerName,
  normalizeZoneName,
  hashPassword,
  loginProof,
  randomId: () => base64UrlEncode(crypto.getRandomValues(new Uint8Array(16))),
  parsePairingUrl,
  canonicalPairingCode,
  signEnrolmentDelegation(mnemonic, request, delegateKeyX) {
    const problem = delegationRequestProblem(request, delegateKeyX);
    if (problem) throw new Error(`INTEGRITY: the OOD asked for a delegation the owner should not sign (${problem}); nothing was signed`);
    const key = deriveOwnerKey(mnemonic);
    try {
      return signEdDsaJwt(request, key.seed);
    } finally {
      key.seed.fill(0);
    }
  },
  async activate(input) {
    const key = deriveOwnerKey(input.mnemonic);
    try {
      const result = await runOwnerActivation({
        transport: input.transport,
        zoneName: input.zoneName,
        ownerName: input.ownerName,
        password: input.password,
        ownerPublicJwk: key.publicJwk,
        evmAddress: key.evmAddress,
        sign: (doc) => signEdDsaJwt(doc, key.seed),
        now: input.now,
        onStep: input.onStep,
        delegateEnrolment: input.delegateEnrolment,
      });
      const extra = input.alsoSign?.(result);
      return { result, ...(extra ? { extraJwt: signEdDsaJwt(extra, key.seed) } : {}) };
    } finally {
      key.seed.fill(0);
    }
  },
};
