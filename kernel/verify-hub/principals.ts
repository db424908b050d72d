// Who may hold a session, read from system-config: user settings, user documents, and owner-signed
// device documents. Read on every login and refresh (logins are rare), so a suspended user or a
// removed device stops getting tokens at once.
import { KrpcError } from '../lib/errors.js';
import { verifyJwt } from '../lib/identity/jwt.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { defaultKeyOf } from '../lib/identity/documents.js';
import { deviceRevocationKey } from '../api/devices.js';
import { verifyDeviceDocument } from '../lib/identity/device-chain.js';
import { deviceDocKey, userDocKey, userSettingsKey, type VerifyHubKv } from './kv.js';
import type { PrincipalKind } from './tokens.js';

/** A user id or device name: one safe KV path segment. */
export const PRINCIPAL_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
export const isPrincipalName = (name: unknown): name is string => typeof name === 'string' && PRINCIPAL_NAME.test(name);

/** Device types that may log in as themselves (the same set system-config trusts). */
const LOGIN_DEVICE_TYPES = new Set(['ood', 'node', 'server']);

export interface UserSettings {
  user_id: string;
  type: string;
  state: string;
}

export async function readUserSettings(kv: VerifyHubKv, user: string): Promise<UserSettings | null> {
  const entry = await kv.get(userSettingsKey(user));
  if (!entry) return null;
  try {
    const s = JSON.parse(entry.value) as Partial<UserSettings>;
    if (typeof s !== 'object' || s === null || typeof s.type !== 'string' || typeof s.state !== 'string') return null;
    return { user_id: typeof s.user_id === 'string' ? s.user_id : user, type: s.type, state: s.state };
  } catch {
    return null;
  }
}

export const isActive = (s: UserSettings | null): boolean => s?.state === 'active';

/** The key of a device, from its owner-signed document; undefined when there is no valid one. */
export async function deviceKey(kv: VerifyHubKv, device: string, ownerKey: Ed25519PublicJwk, nowS: number): Promise<Ed25519PublicJwk | undefined> {
  const entry = await kv.get(deviceDocKey(device));
  if (!entry) return undefined;
  let verified;
  try {
    // Owner-signed or under the owner's enrolment delegation, and not on the revocation list (issue 11).
    verified = await verifyDeviceDocument(entry.value.trim(), ownerKey, { now: nowS, isRevoked: async (id) => (await kv.get(deviceRevocationKey(id))) !== null });
  } catch {
    return undefined;
  }
  const doc = verified.doc;
  if (doc.name !== device || typeof doc.device_type !== 'string' || !LOGIN_DEVICE_TYPES.has(doc.device_type)) return undefined;
  return verified.key;
}

/** The key of a user, from users/<u>/doc (JSON, or a JWT signed by the owner); undefined when none. */
export async function userKey(kv: VerifyHubKv, user: string, ownerKey: Ed25519PublicJwk, nowS: number): Promise<Ed25519PublicJwk | undefined> {
  const entry = await kv.get(userDocKey(user));
  if (!entry) return undefined;
  const text = entry.value.trim();
  try {
    const doc = text.startsWith('{') ? JSON.parse(text) : await verifyJwt(text, ownerKey, { now: nowS });
    return defaultKeyOf(doc);
  } catch {
    return undefined;
  }
}

/** Re-checks at refresh time that the principal behind a session may still hold one. */
export async function assertPrincipalStillValid(
  kv: VerifyHubKv,
  subject: { sub: string; kind: PrincipalKind },
  ownerKey: Ed25519PublicJwk,
  nowS: number,
): Promise<void> {
  const ok =
    subject.kind === 'device'
      ? (await deviceKey(kv, subject.sub, ownerKey, nowS)) !== undefined
      : isActive(await readUserSettings(kv, subject.sub));
  if (!ok) throw new KrpcError('UNAUTHENTICATED', `${subject.sub} may no longer log in to this zone; ask the zone owner`);
}
