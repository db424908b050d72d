// The zone's trust-key table and token verification (spec 60 §4, spec 10 §4). Static entries: the
// owner key (root, $default, owner DID), this device (name, DID) and verify-hub's key from boot/config.
// Other issuers load lazily from KV: a privileged user's users/<u>/doc, else an owner-signed
// devices/<d>/doc of an ood/node/server device.
import { unauthenticated } from '../lib/errors.js';
import { decodeUnverified, nowSeconds, verifyJwt, type Claims } from '../lib/identity/jwt.js';
import { isEd25519PublicJwk, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { defaultKeyOf } from '../lib/identity/documents.js';
import type { Logger } from '../lib/log.js';
import type { KvStore } from './store/types.js';
import { principalFromClaims, type Principal, type Signer } from './principal.js';
import { BOOT_CONFIG_KEY, deviceDocKey, nodeConfigKey, userDocKey, userSettingsKey } from '../api/keys.js';
import { placesApp } from '../lib/app-placement.js';
import { deviceRevocationKey } from '../api/devices.js';
import { verifyDeviceDocument } from '../lib/identity/device-chain.js';

export interface ZoneIdentity {
  zoneDid: string;
  owner: { did: string; publicJwk: Ed25519PublicJwk };
  device: { name: string; did: string; publicJwk: Ed25519PublicJwk };
}

interface TrustEntry {
  jwk: Ed25519PublicJwk;
  signer: Signer;
}

export { BOOT_CONFIG_KEY } from '../api/keys.js';
const TRUSTED_DEVICE_TYPES = new Set(['ood', 'node', 'server']);
const PRIVILEGED_USER_TYPES = new Set(['admin', 'root']);
// An issuer name becomes a KV path segment, so it must be one plain segment.
const ISSUER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;
const MAX_TOKEN_LENGTH = 16 * 1024;
const VERIFIED_CACHE_LIMIT = 10_000;

function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The longest a bearer token may live, by signer: verify-hub's session tokens live 15 min, the
 * device tokens of our services and node-daemon's app tokens 20 min (upstream: 2 × 10 min), the
 * owner's enrolment tokens 120 s. A leaked token with `exp` years ahead is refused, not trusted.
 */
export const MAX_TOKEN_LIFETIME_S: Readonly<Record<Signer['type'], number>> = {
  'verify-hub': 20 * 60,
  device: 30 * 60,
  owner: 30 * 60,
  user: 30 * 60,
};
const CLOCK_SKEW_S = 60;

/** `exp` at most the signer's lifetime ahead of now and of `iat` (BuckyOS tokens may lack `iat`). */
function checkLifetime(claims: Claims, signer: Signer['type']): void {
  const max = MAX_TOKEN_LIFETIME_S[signer];
  const exp = claims.exp as number;
  const now = nowSeconds();
  if (exp - now > max + CLOCK_SKEW_S)
    throw unauthenticated(`token expires ${Math.round((exp - now) / 60)} min from now; ${signer}-signed tokens may live at most ${max / 60} min`);
  if (claims.iat !== undefined) {
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw unauthenticated('token "iat" is not a number');
    if (claims.iat > now + CLOCK_SKEW_S) throw unauthenticated('token "iat" is in the future');
    if (exp - claims.iat > max) throw unauthenticated(`token lives ${Math.round((exp - claims.iat) / 60)} min; ${signer}-signed tokens may live at most ${max / 60} min`);
  }
}

export class TrustKeys {
  private readonly fixed = new Map<string, TrustEntry>();
  private verifyHub: Ed25519PublicJwk | undefined;
  private readonly lazy = new Map<string, TrustEntry>();
  // Signature checks cost ~0.5 ms and a caller reuses one token for many calls. Keyed by the whole
  // token (signature included); emptied whenever any trust key may have changed.
  private readonly verified = new Map<string, { principal: Principal; exp: number }>();

  constructor(
    private readonly store: KvStore,
    private readonly identity: ZoneIdentity,
    /** Direct RBAC groups of a name (from the current policy), to recognise privileged users. */
    private readonly groupsOf: (name: string) => string[],
    private readonly log: Logger,
  ) {
    const owner: TrustEntry = { jwk: identity.owner.publicJwk, signer: { type: 'owner' } };
    for (const name of ['root', '$default', identity.owner.did]) this.fixed.set(name, owner);
    const device: TrustEntry = { jwk: identity.device.publicJwk, signer: { type: 'device', name: identity.device.name } };
    for (const name of [identity.device.name, identity.device.did]) this.fixed.set(name, device);
  }

  /** Re-reads verify-hub's key from boot/config and forgets every lazily loaded issuer. */
  reload(): void {
    const boot = parseJsonObject(this.store.get(BOOT_CONFIG_KEY)?.value);
    const jwk = (boot?.verify_hub_info as { public_key?: unknown } | undefined)?.public_key;
    this.verifyHub = isEd25519PublicJwk(jwk) ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x } : undefined;
    if (boot && !this.verifyHub) this.log.warn(`${BOOT_CONFIG_KEY} has no valid verify_hub_info.public_key; session tokens will be refused`);
    this.lazy.clear();
    this.verified.clear();
  }

  /** Drops a lazily loaded issuer (its document or settings changed). */
  forget(name: string): void {
    if (this.lazy.delete(name)) this.verified.clear();
  }

  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw unauthenticated('this call needs a session token in sys[1]; log in first');
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('token is too long to be a session token');
    const cached = this.verified.get(token);
    if (cached && cached.exp > nowSeconds()) return cached.principal;
    const { header, payload } = decodeUnverified(token);
    const iss = typeof payload.iss === 'string' && payload.iss ? payload.iss : undefined;
    const name = iss ?? (typeof header.kid === 'string' && header.kid ? header.kid : '$default');
    const entry = await this.lookup(name);
    if (!entry) throw unauthenticated(`token issuer ${JSON.stringify(name.slice(0, 64))} is not trusted by this zone`);
    const claims = await verifyJwt(token, entry.jwk);
    if (claims.zone !== undefined && claims.zone !== this.identity.zoneDid)
      throw unauthenticated('token was issued for another zone');
    checkLifetime(claims, entry.signer.type);
    const principal = principalFromClaims(claims, entry.signer, name);
    if (entry.signer.type === 'device' && principal.kind === 'service') this.checkAppToken(principal, entry.signer.name);
    if (this.verified.size >= VERIFIED_CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, { principal, exp: claims.exp as number });
    return principal;
  }

  /** Drops every verified app token: a node config changed, so an app may have moved away. */
  forgetAppTokens(): void {
    for (const [token, { principal }] of this.verified) if (principal.kind === 'service') this.verified.delete(token);
  }

  /**
   * A device-signed token for someone other than the device is an app token (spec 60 §7): accepted only
   * for a user's app that the scheduler placed on THIS device, whose user is an active user and whose
   * names are not a device's.
   */
  private checkAppToken(p: Principal, device: string): void {
    const refuse = (why: string) => unauthenticated(`device ${device} may not speak for ${p.userId} (app ${p.appId}): ${why}`);
    if (this.store.get(deviceDocKey(p.userId)) || p.appId === device || this.store.get(deviceDocKey(p.appId)))
      throw refuse('a device speaks only as itself');
    if (this.store.get(userSettingsKey(p.appId))) throw refuse(`"${p.appId}" is a user, not an app`);
    const settings = parseJsonObject(this.store.get(userSettingsKey(p.userId))?.value);
    if (settings?.state !== 'active' || settings.type === 'root') throw refuse(`"${p.userId}" is not an active user of this zone`);
    if (!placesApp(this.store.get(nodeConfigKey(device))?.value, device, p.appId, p.userId))
      throw refuse(`the scheduler has not placed ${p.userId}'s app ${p.appId} on ${device}`);
  }

  private async lookup(name: string): Promise<TrustEntry | undefined> {
    if (name === 'verify-hub') return this.verifyHub ? { jwk: this.verifyHub, signer: { type: 'verify-hub' } } : undefined;
    const known = this.fixed.get(name) ?? this.lazy.get(name);
    if (known) return known;
    if (!ISSUER_NAME.test(name)) return undefined;
    const loaded = this.isPrivilegedUser(name) ? await this.userEntry(name) : await this.deviceEntry(name);
    if (loaded) this.lazy.set(name, loaded);
    return loaded;
  }

  private isPrivilegedUser(name: string): boolean {
    const settings = parseJsonObject(this.store.get(userSettingsKey(name))?.value);
    if (typeof settings?.type === 'string' && PRIVILEGED_USER_TYPES.has(settings.type)) return true;
    return this.groupsOf(name).some((g) => PRIVILEGED_USER_TYPES.has(g));
  }

  private async userEntry(name: string): Promise<TrustEntry | undefined> {
    const text = this.store.get(userDocKey(name))?.value.trim();
    if (!text) return undefined;
    let doc: unknown;
    try {
      doc = text.startsWith('{') ? JSON.parse(text) : await verifyJwt(text, this.identity.owner.publicJwk, { requireExp: false });
    } catch {
      return undefined;
    }
    const jwk = defaultKeyOf(doc);
    return jwk ? { jwk, signer: { type: 'user', name } } : undefined;
  }

  private async deviceEntry(name: string): Promise<TrustEntry | undefined> {
    const text = this.store.get(deviceDocKey(name))?.value.trim();
    if (!text) return undefined;
    let verified;
    try {
      // Owner-signed, or signed under the owner's enrolment delegation; neither revoked (issue 11).
      verified = await verifyDeviceDocument(text, this.identity.owner.publicJwk, {
        requireExp: false, zoneDid: this.identity.zoneDid, isRevoked: (id) => this.store.get(deviceRevocationKey(id)) !== undefined,
      });
    } catch (e) {
      this.log.warn(`${deviceDocKey(name)} is not trusted; ignoring it`, { device: name, err: (e as Error).message });
      return undefined;
    }
    const doc = verified.doc;
    if (typeof doc.device_type !== 'string' || !TRUSTED_DEVICE_TYPES.has(doc.device_type)) return undefined;
    if (doc.name !== undefined && doc.name !== name) return undefined;
    return { jwk: verified.key, signer: { type: 'device', name } };
  }
}
