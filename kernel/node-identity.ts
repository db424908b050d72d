// Loads an activated node's identity from <data>/etc and signs the device tokens its kernel services use.
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { DataPaths } from './lib/paths.js';
import { readJsonFile, type NodeIdentityFile, type StartConfigFile } from './lib/identity/files.js';
import { publicJwkFromPrivatePem, type Ed25519PublicJwk } from './lib/identity/keys.js';
import { decodeUnverified, nowSeconds, signJwt, verifyJwt, type Claims } from './lib/identity/jwt.js';
import { KrpcError } from './lib/errors.js';
import { verifyDeviceDocument } from './lib/identity/device-chain.js';

export interface NodeIdentity {
  file: NodeIdentityFile;
  deviceName: string;
  deviceDid: string;
  zoneDid: string;
  ownerDid: string;
  ownerPublicJwk: Ed25519PublicJwk;
  devicePrivateKeyPem: string;
  devicePublicJwk: Ed25519PublicJwk;
  deviceDocJwt: string;
  deviceDoc: Claims;
  zoneDocumentJwt: string;
  zoneBootJwt: string;
  zoneBoot: Claims;
  /** Present on OODs activated through the wizard; absent on joined nodes. */
  startConfig?: StartConfigFile;
}

async function readOptional(path: string): Promise<string | undefined> {
  try { return (await readFile(path, 'utf8')).trim(); } catch { return undefined; }
}

/** Damage to the identity is never "not activated": it names the file and what the owner can do. */
const damaged = (path: string, what: string) =>
  new KrpcError('INTEGRITY', `${path} ${what}; this device's identity is damaged. Restore its data folder's etc/ from a backup, or reset this device to set it up again`);

async function damagedUnless<T>(path: string, what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof KrpcError && e.code === 'TOKEN_EXPIRED')
      throw new KrpcError('FAILED_PRECONDITION', `${path} has expired; set this device up again with the owner's recovery words (reset it, then activate or enroll it)`);
    throw damaged(path, what);
  }
}

async function readIdentityFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw damaged(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : 'cannot be read');
  }
}

export async function loadNodeIdentity(paths: DataPaths): Promise<NodeIdentity> {
  const file = await readJsonFile<NodeIdentityFile>(paths.nodeIdentity);
  const devicePrivateKeyPem = await readIdentityFile(paths.deviceKey);
  const deviceDocJwt = (await readIdentityFile(paths.deviceDocJwt)).trim();
  const zoneBootJwt = (await readIdentityFile(paths.zoneBootJwt)).trim();
  const zoneDocumentJwt = (await readOptional(paths.zoneDocJwt)) ?? zoneBootJwt;
  // The owner key in node_identity.json is the root of trust: every document must verify with it.
  // Owner-signed, or signed by the OOD under the owner's enrolment delegation (issue 11).
  const deviceDoc = await damagedUnless(paths.deviceDocJwt, 'is not a document signed by the owner of this zone', async () => (await verifyDeviceDocument(deviceDocJwt, file.owner_public_key, { zoneDid: file.zone_did })).doc as unknown as Claims);
  const zoneBoot = await damagedUnless(paths.zoneBootJwt, 'is not a document signed by the owner of this zone', () => verifyJwt(zoneBootJwt, file.owner_public_key, { requireExp: true }));
  if (typeof zoneBoot.iat === 'number' && zoneBoot.iat < file.zone_iat)
    throw new KrpcError('VERSION_CONFLICT', 'the zone boot config on disk is older than the one this node was activated with');
  const devicePublicJwk = await damagedUnless(paths.deviceKey, 'is not a readable Ed25519 private key', async () => publicJwkFromPrivatePem(devicePrivateKeyPem));
  const docKey = (deviceDoc.verificationMethod as Array<{ publicKeyJwk?: Ed25519PublicJwk }> | undefined)?.[0]?.publicKeyJwk;
  if (!docKey || docKey.x !== devicePublicJwk.x)
    throw damaged(paths.deviceKey, 'does not match the owner-signed device document');
  let startConfig: StartConfigFile | undefined;
  try { startConfig = await readJsonFile<StartConfigFile>(paths.startConfig); } catch { startConfig = undefined; }
  return {
    file, deviceName: file.device_name, deviceDid: file.device_did, zoneDid: file.zone_did, ownerDid: file.owner_did,
    ownerPublicJwk: file.owner_public_key, devicePrivateKeyPem, devicePublicJwk, deviceDocJwt, deviceDoc,
    zoneDocumentJwt, zoneBootJwt, zoneBoot, startConfig,
  };
}

/**
 * A device-signed login JWT for a kernel service or app on this node (spec 60 §7):
 * kernel services get sub = iss = device name; apps get sub = owner user.
 */
export function signDeviceToken(id: NodeIdentity, appid: string, sub = id.deviceName, ttlSeconds = 20 * 60): Promise<string> {
  const now = nowSeconds();
  return signJwt({ iss: id.deviceName, sub, appid, jti: randomBytes(8).toString('hex'), iat: now, exp: now + ttlSeconds }, id.devicePrivateKeyPem, id.deviceName);
}

/** A token source that re-signs shortly before expiry, for long-lived kRPC clients. */
export function deviceTokenSource(id: NodeIdentity, appid: string): () => Promise<string> {
  let cached: { token: string; exp: number } | undefined;
  return async () => {
    if (!cached || cached.exp - nowSeconds() < 60) {
      const token = await signDeviceToken(id, appid);
      cached = { token, exp: decodeUnverified(token).payload.exp as number };
    }
    return cached.token;
  };
}
