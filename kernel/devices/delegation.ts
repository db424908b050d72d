// The OOD's half of the enrolment delegation (issue 11; docs/security.md "Approving a device"): a key
// the OOD made itself (etc/enrolment_key.pem, 0600) and the owner-signed delegation over its public
// half (etc/enrolment_delegation.jwt). With both, the OOD signs DeviceDocuments of node types for this
// zone, and nothing else: no OOD, no user, no zone document.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { buildDelegationRequest, DELEGATION_MEMBER, type DelegationStatus, type EnrolmentDelegation } from '../api/devices.js';
import { KrpcError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import { verifyDelegation } from '../lib/identity/device-chain.js';
import { buildDeviceDocument, DEFAULT_DOCUMENT_LIFETIME_SECONDS, type DeviceDocument } from '../lib/identity/documents.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { generateEd25519, publicJwkFromPrivatePem, sameKey, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import type { DataPaths } from '../lib/paths.js';

export interface DelegationIdentity {
  zoneDid: string;
  ownerDid: string;
  ownerPublicJwk: Ed25519PublicJwk;
  /** The OOD's device name. */
  holder: string;
}

const keyPath = (paths: DataPaths) => paths.enrolmentKey;
const delegationPath = (paths: DataPaths) => paths.enrolmentDelegation;

async function readText(path: string): Promise<string | undefined> {
  try { return (await readFile(path, 'utf8')).trim(); } catch { return undefined; }
}

export class EnrolmentDelegate {
  private constructor(
    private readonly paths: DataPaths,
    private readonly id: DelegationIdentity,
    private privateKeyPem: string,
    private pendingJti: string,
  ) {}

  /** Loads the OOD's enrolment key, making one on first use. */
  static async open(paths: DataPaths, id: DelegationIdentity): Promise<EnrolmentDelegate> {
    let pem = await readText(keyPath(paths));
    if (!pem) {
      pem = generateEd25519().privateKeyPem;
      await writeFileAtomic(keyPath(paths), pem, 0o600);
    }
    return new EnrolmentDelegate(paths, id, pem, randomBytes(12).toString('hex'));
  }

  get publicJwk(): Ed25519PublicJwk {
    return publicJwkFromPrivatePem(this.privateKeyPem);
  }

  /** The claims the owner signs to delegate this key (one year). */
  request(now = nowSeconds()): EnrolmentDelegation {
    return buildDelegationRequest({ ownerDid: this.id.ownerDid, zoneDid: this.id.zoneDid, holder: this.id.holder, delegateKey: this.publicJwk, jti: this.pendingJti, now });
  }

  /** The delegation in force, verified; undefined (with why) when there is none usable. */
  async current(isRevoked: (id: string) => Promise<boolean>): Promise<{ jwt: string; d: EnrolmentDelegation } | { state: 'missing' | 'expired' | 'revoked' }> {
    const jwt = await readText(delegationPath(this.paths));
    if (!jwt) return { state: 'missing' };
    try {
      const d = await verifyDelegation(jwt, this.id.ownerPublicJwk, { zoneDid: this.id.zoneDid, isRevoked });
      if (!sameKey(d.delegate_key, this.publicJwk)) return { state: 'missing' };
      return { jwt, d };
    } catch (e) {
      if (e instanceof KrpcError && e.code === 'TOKEN_EXPIRED') return { state: 'expired' };
      return { state: (e as Error).message.includes('revoked') ? 'revoked' : 'missing' };
    }
  }

  async status(isRevoked: (id: string) => Promise<boolean>): Promise<DelegationStatus> {
    const c = await this.current(isRevoked);
    const base = { delegate_key: this.publicJwk, request: this.request() };
    return 'jwt' in c ? { state: 'active', ...base, jti: c.d.jti, exp: c.d.exp } : { state: c.state, ...base };
  }

  /** Stores an owner-signed delegation over this OOD's key. */
  async accept(jwt: string, isRevoked: (id: string) => Promise<boolean>): Promise<EnrolmentDelegation> {
    const d = await verifyDelegation(jwt, this.id.ownerPublicJwk, { zoneDid: this.id.zoneDid, isRevoked });
    if (!sameKey(d.delegate_key, this.publicJwk) || d.holder !== this.id.holder)
      throw new KrpcError('INVALID_PARAMS', "the delegation is not for this OOD's enrolment key; ask for device.delegation again and sign its request");
    if (d.exp <= nowSeconds()) throw new KrpcError('TOKEN_EXPIRED', 'the delegation has already expired');
    await writeFileAtomic(delegationPath(this.paths), jwt + '\n', 0o600);
    this.pendingJti = randomBytes(12).toString('hex');
    return d;
  }

  /** Forgets the delegation and the key (after it was put on the revocation list) and makes a new key. */
  async discard(): Promise<void> {
    await rm(delegationPath(this.paths), { force: true });
    this.privateKeyPem = generateEd25519().privateKeyPem;
    await writeFileAtomic(keyPath(this.paths), this.privateKeyPem, 0o600);
    this.pendingJti = randomBytes(12).toString('hex');
  }

  /** A node's DeviceDocument signed under the delegation, which it carries (the chain every verifier follows). */
  async signNodeDocument(
    delegation: { jwt: string; d: EnrolmentDelegation },
    o: { name: string; did: string; publicJwk: Ed25519PublicJwk; now: number },
  ): Promise<{ jwt: string; doc: DeviceDocument }> {
    const doc = buildDeviceDocument({
      name: o.name, did: o.did, publicJwk: o.publicJwk, owner: this.id.ownerDid, zoneDid: this.id.zoneDid, deviceType: 'server',
      iat: o.now, exp: Math.min(o.now + DEFAULT_DOCUMENT_LIFETIME_SECONDS, delegation.d.exp),
    });
    const signed = { ...doc, [DELEGATION_MEMBER]: delegation.jwt };
    return { jwt: await signJwt(signed, this.privateKeyPem), doc: signed };
  }
}
