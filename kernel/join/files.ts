// The device side of joining: check what the owner sent against the device's own key and the owner key
// the bundle names, then write the identity files. etc/node_identity.json goes last and exclusively,
// as at activation, so a crash leaves an unjoined device and only one enrolment can win.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileExclusive } from '../lib/identity/files.js';
import { normalizeZoneUrl } from '../lib/zone-url.js';
import { KrpcError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import { defaultKey, type DeviceDocument, type ZoneDocument } from '../lib/identity/documents.js';
import { verifyOwnerSigned, verifyZoneBootConfig } from '../lib/identity/document-jwt.js';
import { readJsonFile } from '../lib/identity/files.js';
import { verifyDeviceDocument } from '../lib/identity/device-chain.js';
import { sameKey, isEd25519PublicJwk, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { parseOodString } from '../lib/identity/ood-string.js';
import type { DataPaths } from '../lib/paths.js';
import type { JoinBundle } from './schema.js';

/** Device types a joined (non-OOD) node may have; system-config trusts these (trust.ts). */
export const NODE_DEVICE_TYPES = new Set(['server', 'node']);

/** etc/zone_join.json: where this node reaches its zone. */
export interface JoinedZoneFile {
  schema: 'buckyos.zone_join.v1';
  ood_url: string;
  joined_at: number;
  /** Issue 14: the iat of the OOD announcement that moved ood_url here (older ones are refused). */
  ood_announced_at?: number;
}

export const joinedZonePath = (paths: DataPaths) => join(paths.etc, 'zone_join.json');

export async function readJoinedZone(paths: DataPaths): Promise<JoinedZoneFile | undefined> {
  try {
    const file = await readJsonFile<JoinedZoneFile>(joinedZonePath(paths));
    return file.schema === 'buckyos.zone_join.v1' && typeof file.ood_url === 'string' ? file : undefined;
  } catch {
    return undefined;
  }
}

export { normalizeZoneUrl };

/** Saves the OOD's new gateway URL (a verified announcement said it moved), atomically: a restart keeps it. */
export async function saveMovedOod(paths: DataPaths, url: string, announcedAt: number): Promise<void> {
  const old = await readJoinedZone(paths);
  const file: JoinedZoneFile = { schema: 'buckyos.zone_join.v1', ood_url: normalizeZoneUrl(url, 'OOD URL'), joined_at: old?.joined_at ?? Math.floor(Date.now() / 1000), ood_announced_at: announcedAt };
  await writeFileAtomic(joinedZonePath(paths), JSON.stringify(file, null, 2) + '\n');
}


/** Checks every document in `bundle` against its owner key and this device's key; returns the parsed documents. */
export async function verifyJoinBundle(bundle: JoinBundle, deviceKey: Ed25519PublicJwk, now: number): Promise<{ device: DeviceDocument; zone: ZoneDocument; approvedBy: 'owner' | 'delegation' }> {
  const id = bundle.node_identity;
  const refuse = (what: string) => new KrpcError('INTEGRITY', `the enrolment does not fit this device (${what}); nothing was written`);
  if (!isEd25519PublicJwk(id.owner_public_key)) throw refuse('owner key');
  const owner = id.owner_public_key;

  // Owner-signed (`buckyos enroll`), or signed by the OOD under the owner's enrolment delegation.
  const { doc: device, approvedBy } = await verifyDeviceDocument(bundle.device_document_jwt, owner, { now, zoneDid: id.zone_did });
  if (!sameKey(defaultKey(device), deviceKey)) throw refuse("the device document names another device's key");
  if (device.name !== id.device_name || device.id !== id.device_did) throw refuse('device name or DID');
  if (!NODE_DEVICE_TYPES.has(device.device_type)) throw refuse(`device type "${String(device.device_type).slice(0, 32)}" is not a node type`);
  if (device.owner !== id.owner_did || (device.zone_did !== undefined && device.zone_did !== id.zone_did)) throw refuse('device owner or zone');

  const boot = await verifyZoneBootConfig(bundle.zone_boot_config_jwt, owner, { now });
  if ((boot.id !== undefined && boot.id !== id.zone_did) || (boot.iat ?? 0) !== id.zone_iat) throw refuse('zone boot config');
  if (boot.oods.some((o) => parseOodString(o).name === id.device_name)) throw refuse('the zone lists this name as an OOD');

  const zone = await verifyOwnerSigned<ZoneDocument>(bundle.zone_document_jwt, owner, { now, what: 'zone document' });
  if (zone.id !== id.zone_did || zone.owner !== id.owner_did || !sameKey(defaultKey(zone), owner)) throw refuse('zone document');
  normalizeZoneUrl(bundle.ood_url, 'OOD URL');
  return { device, zone, approvedBy };
}

export async function persistJoin(paths: DataPaths, bundle: JoinBundle, now: number): Promise<void> {
  await mkdir(paths.etc, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.deviceDocJwt, bundle.device_document_jwt);
  await writeFileAtomic(paths.zoneBootJwt, bundle.zone_boot_config_jwt);
  await writeFileAtomic(paths.zoneDocJwt, bundle.zone_document_jwt);
  const zoneFile: JoinedZoneFile = { schema: 'buckyos.zone_join.v1', ood_url: normalizeZoneUrl(bundle.ood_url, 'OOD URL'), joined_at: now };
  await writeFileAtomic(joinedZonePath(paths), JSON.stringify(zoneFile, null, 2) + '\n');
  await writeFileExclusive(paths.nodeIdentity, JSON.stringify(bundle.node_identity, null, 2) + '\n');
}
