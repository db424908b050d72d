// A signed test zone (owner key, boot config, zone document) and join bundles over it, for the join
// tests: real signatures, no servers. Only tests import this.
import { buildDeviceDid } from '../lib/identity/did.js';
import {
  assembleZoneDocument, buildDeviceDocument, buildDeviceMiniDocument, buildZoneBootDocument, DEFAULT_DOCUMENT_LIFETIME_SECONDS,
} from '../lib/identity/documents.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { generateEd25519, type Ed25519KeyPair, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import type { JoinBundle } from './schema.js';

export interface TestZone {
  owner: Ed25519KeyPair;
  zoneDid: string;
  ownerDid: string;
  bootJwt: string;
  zoneJwt: string;
  iat: number;
}

export async function testZone(now: number, owner = generateEd25519()): Promise<TestZone> {
  const zoneDid = 'did:web:testzone';
  const ownerDid = 'did:bns:alice';
  const boot = buildZoneBootDocument({ zoneDid, oods: ['ood1'], iat: now, exp: now + DEFAULT_DOCUMENT_LIFETIME_SECONDS });
  const bootJwt = await signDocument(boot, owner.privateKeyPem);
  const ood = buildDeviceDocument({
    name: 'ood1', did: buildDeviceDid(zoneDid, 'ood1'), publicJwk: generateEd25519().publicJwk, owner: ownerDid, zoneDid,
    deviceType: 'ood', iat: now, exp: boot.exp,
  });
  const miniJwt = await signDocument(buildDeviceMiniDocument(ood, now), owner.privateKeyPem);
  const zone = assembleZoneDocument({ zoneDid, ownerDid, ownerKey: owner.publicJwk, hostname: 'testzone', boot, bootJwt, devices: [{ document: ood, miniJwt }] });
  return { owner, zoneDid, ownerDid, bootJwt, zoneJwt: await signDocument(zone, owner.privateKeyPem), iat: now };
}

export interface BundleOptions {
  name?: string;
  deviceType?: string;
  /** Who signs the device document (default the zone owner). */
  signer?: Ed25519KeyPair;
  exp?: number;
}

export async function joinBundle(zone: TestZone, deviceKey: Ed25519PublicJwk, now: number, o: BundleOptions = {}): Promise<JoinBundle> {
  const name = o.name ?? 'nas1';
  const did = buildDeviceDid(zone.zoneDid, name);
  const doc = buildDeviceDocument({
    name, did, publicJwk: deviceKey, owner: zone.ownerDid, zoneDid: zone.zoneDid, deviceType: o.deviceType ?? 'server',
    iat: now, exp: o.exp ?? now + DEFAULT_DOCUMENT_LIFETIME_SECONDS,
  });
  return {
    node_identity: {
      schema: 'buckyos.node_identity.v2', zone_did: zone.zoneDid, owner_did: zone.ownerDid, owner_public_key: zone.owner.publicJwk,
      device_name: name, device_did: did, zone_iat: zone.iat,
    },
    device_document_jwt: await signDocument(doc, (o.signer ?? zone.owner).privateKeyPem),
    zone_boot_config_jwt: zone.bootJwt,
    zone_document_jwt: zone.zoneJwt,
    ood_url: 'http://127.0.0.1:3180',
  };
}
