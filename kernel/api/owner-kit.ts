// The owner's side of the zone that runs in the owner's own client (the CLI, or the page in the setup
// wizard and at sign-in): the recovery words, the owner key derived from them, and the signatures and
// password proofs made with them. The kernel builds one browser bundle of it (kernel/activation/
// owner-kit.ts → dist/renderer/owner-kit.js, served beside the control panel), so the page runs the
// CLI's own code without importing kernel code: it loads the bundle over HTTP and knows only this type.
import type { EnrolmentDelegation, PairingInfo, PairingProblem } from './devices.js';
import type { CommitActiveParams, CommitActiveResult, DeviceKeyPairResult, PrepareActiveDocumentsParams, PreparedActiveDocuments } from './activation.js';

/** The device's activation kRPC (POST /kapi/active), however the caller reaches it. */
export interface ActivationTransport {
  generateDeviceKeyPair(): Promise<DeviceKeyPairResult>;
  prepareActiveDocuments(params: PrepareActiveDocumentsParams): Promise<PreparedActiveDocuments>;
  commitActive(params: CommitActiveParams): Promise<CommitActiveResult>;
}

export type OwnerActivationStep = 'device-key' | 'prepare' | 'sign' | 'commit';

export interface OwnerActivationResult {
  zoneDid: string;
  ownerDid: string;
  deviceName: string;
  accessHostname: string;
  /** Issue 11: the owner signed the enrolment delegation with the activation (the device offered one). */
  enrolmentDelegated?: boolean;
}

export interface OwnerKitActivation {
  transport: ActivationTransport;
  mnemonic: string;
  zoneName: string;
  ownerName: string;
  password: string;
  /** Unix seconds. */
  now: number;
  onStep?(step: OwnerActivationStep): void;
  /** Claims of one more owner-signed JWT to make with the same key before it is wiped (the hand-over login). */
  alsoSign?(result: OwnerActivationResult): object;
  /** Issue 11: also sign the OOD's enrolment delegation, so devices can be approved from day one without the words. */
  delegateEnrolment?: boolean;
}

export interface OwnerKit {
  generateMnemonic(): string;
  /** The 12 words, normalised; throws when they are not a valid BIP-39 phrase. */
  normalizeMnemonic(text: string): string;
  normalizeOwnerName(name: string): string;
  normalizeZoneName(name: string): string;
  /** BuckyOS's password verifier and its nonce-bound login proof. */
  hashPassword(password: string, user: string): string;
  loginProof(passwordHash: string, nonceMs: number): string;
  /** 16 random bytes, base64url: a jti. */
  randomId(): string;
  /**
   * Issue 11: signs the enrolment delegation request the OOD hands out (`device.delegation`'s `request`)
   * with the owner key from the words, after checking it is narrow (delegationRequestProblem); wipes the
   * key. Throws "INTEGRITY: …" for a request the owner should not sign. Send the JWT with `device.delegate`.
   */
  signEnrolmentDelegation(mnemonic: string, request: EnrolmentDelegation, delegateKeyX: string): string;
  /** Issue 11: a `buckyos://join?…` pairing URL (QR code, paste) parsed, or what is wrong with it. */
  parsePairingUrl(text: string): { ok: true; info: PairingInfo } | { ok: false; problem: PairingProblem; error: string };
  /** A pairing code as typed (any case, spaces, dashes) → XXXX-XXXX, or undefined. */
  canonicalPairingCode(text: string): string | undefined;
  /** Derives the owner key, runs the owner side of activation, signs `alsoSign`'s claims, wipes the key. */
  activate(input: OwnerKitActivation): Promise<{ result: OwnerActivationResult; extraJwt?: string }>;
}
