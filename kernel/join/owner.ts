// The owner's side of enrolling an extra device as a node (ours; upstream has no enrolment, spec 40 §8).
// Runs in the owner's client (CLI, later the desktop renderer): the recovery words give the owner key
// here; the device only ever gets its owner-signed DeviceDocument, the zone's public documents and the
// OOD's address. The zone learns the device through devices/<name>/doc, written with a short-lived
// owner-signed root token: enrolment is the owner's act, and only the owner key can make a device
// document the zone trusts, so an admin password alone cannot enrol anything.
import { BOOT_CONFIG_KEY, USERS_DIR, appSpecKey, deviceDocKey, deviceInfoKey, serviceSpecKey, userDocKey, userSettingsKey } from '../api/keys.js';
import { randomBytes } from 'node:crypto';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import { buildDeviceDid } from '../lib/identity/did.js';
import { buildDeviceDocument, defaultKey, DEFAULT_DOCUMENT_LIFETIME_SECONDS, type DeviceDocument, type ZoneDocument } from '../lib/identity/documents.js';
import { signDocument, verifyOwnerSigned, verifyZoneBootConfig } from '../lib/identity/document-jwt.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { sameKey, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { parseOodString } from '../lib/identity/ood-string.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { dataPaths } from '../lib/paths.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import { RepoClient } from '../repo-server/client.js';
import { SystemConfigClient } from '../system-config/client.js';
import { JoinClient } from './client.js';
import { ensureDeviceKey, keyFingerprint, normalizeJoinCode } from './device-key.js';
import { normalizeZoneUrl } from './files.js';
import { acceptJoinBundle } from './methods.js';
import type { JoinBundle } from './schema.js';
import { KAPI_PATHS } from '../api/krpc.js';

/** A joined node is a "server" device: the scheduler places apps on it and RBAC puts it in group node. */
export const JOINED_DEVICE_TYPE = 'server';
const ROOT_TOKEN_TTL_SECONDS = 120;
const DEVICE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export interface PrepareEnrolmentOptions {
  /** The zone's gateway as the owner reaches it, e.g. http://192.168.1.10:3180. */
  zoneUrl: string;
  mnemonic: string;
  /** The new node's name in the zone, e.g. "nas1". */
  deviceName: string;
  devicePublicJwk: Ed25519PublicJwk;
  /** The OOD's gateway as the device reaches it (default zoneUrl). */
  oodUrl?: string;
  now?: number;
  log?: Logger;
}

export type EnrolmentTarget =
  /** An unjoined node serving its enrolment API, and the join code it printed. */
  | { url: string; joinCode: string }
  /** The data folder of a node on this machine (tests, demos): key read and files written directly. */
  | { dataDir: string };

export interface EnrollDeviceOptions extends Omit<PrepareEnrolmentOptions, 'devicePublicJwk'> {
  device: EnrolmentTarget;
}

export interface EnrollDeviceResult {
  deviceName: string;
  deviceDid: string;
  zoneDid: string;
  joinCode: string;
}

export async function enrollDevice(opts: EnrollDeviceOptions): Promise<EnrollDeviceResult> {
  const now = opts.now ?? nowSeconds();
  const log = opts.log ?? silentLogger;
  let bundle: JoinBundle;
  let joinCode: string;
  if ('url' in opts.device) {
    const expected = normalizeJoinCode(opts.device.joinCode);
    const client = new JoinClient(opts.device.url);
    const request = await client.joinRequest();
    joinCode = keyFingerprint(request.device_public_key);
    if (joinCode !== expected)
      throw new KrpcError('INTEGRITY', `the device at ${client.baseUrl} has join code ${joinCode}, not ${expected}; check the code on the device (if it matches there, someone on the network answered in its place)`);
    bundle = await prepareEnrolment({ ...opts, now, devicePublicJwk: request.device_public_key });
    log.info('sending the signed identity to the device', { device: client.baseUrl });
    await client.commitJoin(bundle);
  } else {
    const paths = dataPaths(opts.device.dataDir);
    const key = await ensureDeviceKey(paths);
    joinCode = keyFingerprint(key);
    bundle = await prepareEnrolment({ ...opts, now, devicePublicJwk: key });
    await acceptJoinBundle(paths, bundle, now);
  }
  const id = bundle.node_identity;
  return { deviceName: id.device_name, deviceDid: id.device_did, zoneDid: id.zone_did, joinCode };
}

/** Signs the device's DeviceDocument, registers it in the zone and returns what the device needs. */
export async function prepareEnrolment(opts: PrepareEnrolmentOptions): Promise<JoinBundle> {
  const now = opts.now ?? nowSeconds();
  const log = opts.log ?? silentLogger;
  const zoneUrl = normalizeZoneUrl(opts.zoneUrl);
  const oodUrl = normalizeZoneUrl(opts.oodUrl ?? zoneUrl, 'OOD URL');
  const name = checkDeviceName(opts.deviceName);
  const owner = deriveOwnerKeyMaterial(opts.mnemonic).ownerKey;
  const kv = new SystemConfigClient(`${zoneUrl}${KAPI_PATHS.systemConfig}`, ownerRootToken(owner.privateKeyPem, now));

  const zone = await readZone(kv, owner.publicJwk, zoneUrl, now);
  if (zone.oods.includes(name)) throw new KrpcError('ALREADY_EXISTS', `"${name}" is an OOD of this zone; pick another name for the new device`);
  await assertNameIsFree(kv, new RepoClient(zoneUrl, ownerRootToken(owner.privateKeyPem, now)), name);

  const docKey = deviceDocKey(name);
  const existing = await kv.get(docKey);
  if (existing) {
    const doc = await verifyOwnerSigned<DeviceDocument>(existing.value, owner.publicJwk, { what: `the zone's ${docKey}` }).catch(() => undefined);
    if (!doc || !sameKey(defaultKey(doc), opts.devicePublicJwk))
      throw new KrpcError('ALREADY_EXISTS', `the zone already has a device named "${name}" with another key; pick another name, or remove ${docKey} first`);
  }

  const deviceDid = buildDeviceDid(zone.zoneDid, name);
  const device = buildDeviceDocument({
    name, did: deviceDid, publicJwk: opts.devicePublicJwk, owner: zone.ownerDid, zoneDid: zone.zoneDid,
    deviceType: JOINED_DEVICE_TYPE, iat: now, exp: now + DEFAULT_DOCUMENT_LIFETIME_SECONDS,
  });
  const deviceJwt = await signDocument(device, owner.privateKeyPem);
  // The info stub (update_time 0: registered, never seen) lets the scheduler put the device in RBAC
  // group "node" now, so the node's first write of its own devices/<name>/info is allowed.
  const infoKey = deviceInfoKey(name);
  const actions = {
    [docKey]: existing ? { action: 'update' as const, value: deviceJwt } : { action: 'create' as const, value: deviceJwt },
    ...(!(await kv.get(infoKey)) && { [infoKey]: { action: 'create' as const, value: JSON.stringify({ ...device, update_time: 0 }) } }),
  };
  await kv.execTx(actions, undefined, existing ? [{ key: docKey, revision: existing.version }] : undefined);
  log.info('device registered in the zone', { device: name, did: deviceDid });

  return {
    node_identity: {
      schema: 'buckyos.node_identity.v2', zone_did: zone.zoneDid, owner_did: zone.ownerDid, owner_public_key: owner.publicJwk,
      device_name: name, device_did: deviceDid, zone_iat: zone.bootIat,
    },
    device_document_jwt: deviceJwt,
    zone_boot_config_jwt: zone.bootJwt,
    zone_document_jwt: zone.documentJwt,
    ood_url: oodUrl,
  };
}

export function checkDeviceName(value: string): string {
  const name = String(value ?? '').trim().toLowerCase();
  if (!DEVICE_NAME.test(name))
    throw new KrpcError('INVALID_PARAMS', `device name "${String(value).slice(0, 64)}" must be a lowercase DNS label like "nas1" (letters, digits, "-")`);
  // A device's name is its RBAC subject: a device called "kernel" or "scheduler" would hold that role.
  const reserved = describeReserved(name);
  if (reserved) throw new KrpcError('INVALID_PARAMS', `${reserved}; pick another device name`);
  return name;
}

/**
 * A device's name must not be any other subject's: a user, an app installed by anyone, a kernel
 * service spec, or a package in the zone's repo (which would become an app of that name on install).
 * system-config refuses the same collisions when devices/<name>/doc is written; asking first gives
 * the owner the reason before anything is signed.
 */
export async function assertNameIsFree(kv: SystemConfigClient, repo: RepoClient, name: string): Promise<void> {
  const taken = (what: string) => new KrpcError('ALREADY_EXISTS', `"${name}" is ${what}; a device needs a name of its own`);
  if ((await kv.get(userSettingsKey(name))) || (await kv.get(userDocKey(name)))) throw taken('a user of this zone');
  if (await kv.get(serviceSpecKey(name))) throw taken('a service of this zone');
  for (const user of await kv.list(USERS_DIR))
    if (await kv.get(appSpecKey(user, name))) throw taken(`an app of this zone (installed by ${user})`);
  try {
    await repo.versions(name);
  } catch (e) {
    if (isKrpcError(e, 'NOT_FOUND') || isKrpcError(e, 'INVALID_PARAMS')) return;
    throw new KrpcError('UNAVAILABLE', `cannot ask the zone's repo whether a package is called "${name}" (${(e as Error).message}); try again when the repo answers`);
  }
  throw taken("a package in the zone's repo (installing it would make an app of that name)");
}

/** The owner speaking as root for a moment (spec 60: an owner-signed token with sub "root"). */
function ownerRootToken(ownerPrivateKeyPem: string, now: number): () => Promise<string> {
  let token: Promise<string> | undefined;
  return () => (token ??= signJwt(
    { iss: 'root', sub: 'root', appid: 'buckycli', jti: randomBytes(8).toString('hex'), iat: now, exp: now + ROOT_TOKEN_TTL_SECONDS },
    ownerPrivateKeyPem, 'root',
  ));
}

interface ZoneFacts {
  zoneDid: string;
  ownerDid: string;
  oods: string[];
  documentJwt: string;
  bootJwt: string;
  bootIat: number;
}

async function readZone(kv: SystemConfigClient, ownerKey: Ed25519PublicJwk, zoneUrl: string, now: number): Promise<ZoneFacts> {
  let boot;
  try {
    boot = await kv.get(BOOT_CONFIG_KEY);
  } catch (e) {
    if (isKrpcError(e, 'UNAUTHENTICATED'))
      throw new KrpcError('PERMISSION_DENIED', `these recovery words are not the owner key of the zone at ${zoneUrl}; check the words and the zone address`);
    throw e;
  }
  if (!boot) throw new KrpcError('NOT_ACTIVATED', `the zone at ${zoneUrl} has not finished its first boot; try again in a moment`);
  let documentJwt: unknown;
  try {
    documentJwt = (JSON.parse(boot.value) as { zone_document?: unknown }).zone_document;
  } catch {
    documentJwt = undefined;
  }
  if (typeof documentJwt !== 'string') throw new KrpcError('INTEGRITY', `the zone at ${zoneUrl} has no zone document in boot/config`);
  const zone = await verifyOwnerSigned<ZoneDocument>(documentJwt, ownerKey, { now, what: 'zone document' });
  if (typeof zone.id !== 'string' || typeof zone.owner !== 'string' || typeof zone.boot_jwt !== 'string')
    throw new KrpcError('INTEGRITY', 'the zone document lacks its id, owner or boot config');
  const bootDoc = await verifyZoneBootConfig(zone.boot_jwt, ownerKey, { now });
  return {
    zoneDid: zone.id, ownerDid: zone.owner, oods: bootDoc.oods.map((o) => parseOodString(o).name),
    documentJwt, bootJwt: zone.boot_jwt, bootIat: bootDoc.iat ?? 0,
  };
}
