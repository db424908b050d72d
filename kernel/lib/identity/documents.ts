// The identity documents of a zone (spec 40 §3–5) with JSON field names byte-compatible with BuckyOS
// (name-lib): `@context`, `verificationMethod`, `publicKeyJwk`, the `capbilities` typo, and, as
// upstream serializes them, `assertion_method` on owner/device documents but `assertionMethod` on the
// zone document. Builders never emit undefined members, so a document survives a JSON round trip
// unchanged and a signed payload can be compared with the document it was built from.
import { didToHostName, formatDid, parseDid } from './did.js';
import { isEd25519PublicJwk, type Ed25519PublicJwk } from './jwk.js';
import type { VerificationMethod, ServiceEntry, OwnerWallet, OwnerDocument, DeviceDocument, DeviceMiniDocument, ZoneBootDocument, ZoneDocument, DeviceMachineFacts, DeviceInfo, DidContext } from '../../api/identity.js';
import type { VerifyHubInfo, ZoneConfig } from '../../api/zone.js';
export type { VerifyHubInfo, ZoneConfig };
export type { VerificationMethod, ServiceEntry, OwnerWallet, OwnerDocument, DeviceDocument, DeviceMiniDocument, ZoneBootDocument, ZoneDocument, DeviceMachineFacts, DeviceInfo, DidContext };

export const DID_CORE_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MAIN_KEY_ID = '#main_key';
export const ED25519_KEY_TYPE = 'Ed25519VerificationKey2020';
/** Lifetime of boot and device documents (upstream DEFAULT_EXPIRE_TIME: 5 years). */
export const DEFAULT_DOCUMENT_LIFETIME_SECONDS = 3600 * 24 * 365 * 5;
/** Lifetime of an OwnerDocument (upstream OwnerConfig::new: 10 years). */
export const OWNER_DOCUMENT_LIFETIME_SECONDS = 3600 * 24 * 365 * 10;
/** Upstream MAX_INLINE_DOCUMENT: owner documents and zone JWTs must stay under this many bytes. */
export const MAX_INLINE_DOCUMENT_BYTES = 4096;

export const documentContext = (kind: 'owner' | 'device' | 'zone'): string[] => [DID_CORE_CONTEXT, `https://buckyos.org/ns/${kind}/v1`];

function mainKey(controller: string, publicJwk: Ed25519PublicJwk): VerificationMethod {
  return { type: ED25519_KEY_TYPE, id: MAIN_KEY_ID, controller, publicKeyJwk: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x } };
}

/** The `#main_key` of a DID document, if it is a well-formed Ed25519 public JWK. */
export function defaultKey(doc: { verificationMethod?: unknown }): Ed25519PublicJwk | undefined {
  if (!Array.isArray(doc.verificationMethod)) return undefined;
  const method = doc.verificationMethod.find((m) => m && typeof m === 'object' && (m as VerificationMethod).id === MAIN_KEY_ID) as VerificationMethod | undefined;
  const jwk = method?.publicKeyJwk;
  return isEd25519PublicJwk(jwk) ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x } : undefined;
}

/** The default (`#main_key`, else first) Ed25519 key of a DID document of any origin: unlike defaultKey, any id ending in `#main_key` counts and the first key is the fallback. */
export function defaultKeyOf(doc: unknown): Ed25519PublicJwk | undefined {
  const methods = (doc as { verificationMethod?: unknown } | null)?.verificationMethod;
  if (!Array.isArray(methods)) return undefined;
  const main = methods.find((m) => typeof m?.id === 'string' && m.id.endsWith('#main_key')) ?? methods[0];
  const jwk = main?.publicKeyJwk;
  return isEd25519PublicJwk(jwk) ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x } : undefined;
}

export interface OwnerDocumentInput {
  name: string;
  publicJwk: Ed25519PublicJwk;
  evmAddress: string;
  iat: number;
  fullName?: string;
}

/** did:bns:<name> with the owner key as #main_key and wallets.main = the owner's EVM address. */
export function buildOwnerDocument(input: OwnerDocumentInput): OwnerDocument {
  const id = formatDid({ method: 'bns', id: input.name });
  return {
    '@context': documentContext('owner'),
    id,
    verificationMethod: [mainKey(id, input.publicJwk)],
    authentication: [MAIN_KEY_ID],
    assertion_method: [MAIN_KEY_ID],
    exp: input.iat + OWNER_DOCUMENT_LIFETIME_SECONDS,
    iat: input.iat,
    name: input.name,
    full_name: input.fullName ?? input.name,
    wallets: { main: { type: 'eth', address: input.evmAddress } },
  };
}

export interface DeviceDocumentInput {
  name: string;
  did: string;
  publicJwk: Ed25519PublicJwk;
  owner: string;
  zoneDid?: string;
  deviceType: string;
  rtcpPort?: number;
  netId?: string;
  ddnsSnUrl?: string;
  supportContainer?: boolean;
  iat: number;
  exp: number;
}

export function buildDeviceDocument(input: DeviceDocumentInput): DeviceDocument {
  const doc: DeviceDocument = {
    '@context': documentContext('device'),
    id: input.did,
    verificationMethod: [mainKey(input.did, input.publicJwk)],
    authentication: [MAIN_KEY_ID],
    assertion_method: [MAIN_KEY_ID],
    exp: input.exp,
    iat: input.iat,
    ...(input.zoneDid !== undefined && { zone_did: input.zoneDid }),
    owner: input.owner,
    device_type: input.deviceType,
    name: input.name,
    ...(input.rtcpPort !== undefined && { rtcp_port: input.rtcpPort }),
    ...(input.netId !== undefined && { net_id: input.netId }),
    ...(input.ddnsSnUrl !== undefined && { ddns_sn_url: input.ddnsSnUrl }),
    ...(input.supportContainer === false && { support_container: false }),
  };
  return doc;
}

export function buildDeviceMiniDocument(device: DeviceDocument, iat: number): DeviceMiniDocument {
  const key = defaultKey(device);
  if (!key) throw new Error('device document has no Ed25519 #main_key');
  return { n: device.name, x: key.x, ...(device.rtcp_port !== undefined && { p: device.rtcp_port }), exp: device.exp, iat };
}

export interface ZoneBootDocumentInput {
  zoneDid: string;
  oods: string[];
  sn?: string;
  iat: number;
  exp: number;
}

/** Never carries `owner` or `owner_key`: the owner key travels separately (PKX=, node_identity.json). */
export function buildZoneBootDocument(input: ZoneBootDocumentInput): ZoneBootDocument {
  return {
    id: input.zoneDid,
    oods: [...input.oods],
    ...(input.sn !== undefined && { sn: input.sn }),
    exp: input.exp,
    iat: input.iat,
  };
}

export interface ZoneDocumentInput {
  zoneDid: string;
  ownerDid: string;
  ownerKey: Ed25519PublicJwk;
  hostname: string;
  boot: ZoneBootDocument;
  bootJwt: string;
  devices: { document: DeviceDocument; miniJwt: string }[];
}

/** The ZoneDocument the owner signs: the boot document's OODs/SN/times, the owner key, and each device document with its mini JWT. */
export function assembleZoneDocument(input: ZoneDocumentInput): ZoneDocument {
  const devices: Record<string, DeviceDocument> = {};
  for (const { document, miniJwt } of input.devices) devices[document.name] = { ...document, device_mini_config_jwt: miniJwt };
  const zoneHost = didToHostName(parseDid(input.zoneDid));
  return {
    '@context': documentContext('zone'),
    id: input.zoneDid,
    verificationMethod: [mainKey(input.ownerDid, input.ownerKey)],
    authentication: [MAIN_KEY_ID],
    assertionMethod: [MAIN_KEY_ID],
    service: [{ id: `${input.zoneDid}#lastDoc`, type: 'DIDDoc', serviceEndpoint: `https://${zoneHost}/resolve/this_zone` }],
    exp: input.boot.exp,
    iat: input.boot.iat ?? input.boot.exp - DEFAULT_DOCUMENT_LIFETIME_SECONDS,
    hostname: input.hostname,
    owner: input.ownerDid,
    oods: [...input.boot.oods],
    boot_jwt: input.bootJwt,
    devices,
    ...(input.boot.sn !== undefined && { sn: input.boot.sn }),
  };
}

export function buildZoneConfig(zoneDocumentJwt: string, verifyHubPublicKey?: Ed25519PublicJwk): ZoneConfig {
  return {
    zone_document: zoneDocumentJwt,
    ...(verifyHubPublicKey && { verify_hub_info: { public_key: { kty: 'OKP', crv: 'Ed25519', x: verifyHubPublicKey.x } } }),
  };
}

export function buildDeviceInfo(device: DeviceDocument, facts: DeviceMachineFacts): DeviceInfo {
  const defined = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as DeviceMachineFacts;
  return { ...device, ...defined };
}
