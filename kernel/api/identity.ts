// Identity shapes: Ed25519 public keys as JWKs and the DID documents of owner, zone and devices
// (spec 40). Documents travel as owner-signed EdDSA JWTs; these are their payloads.
import type { VerifyHubInfo } from './zone.js';

export interface Ed25519PublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid?: string;
}

export type DidContext = string | string[];

export interface VerificationMethod {
  type: string;
  id: string;
  controller: string;
  publicKeyJwk: Ed25519PublicJwk;
}

export interface ServiceEntry {
  id: string;
  type: string;
  serviceEndpoint: string;
}

/** Fields shared by every DID document; unknown members are upstream's flattened `extra_info`. */
export interface DidDocumentBase {
  '@context': DidContext;
  id: string;
  verificationMethod: VerificationMethod[];
  authentication: string[];
  service?: ServiceEntry[];
  exp: number;
  iat: number;
  [extra: string]: unknown;
}

export interface OwnerWallet {
  type: string;
  address: string;
}

/** OwnerConfig upstream; published outside the zone, signed by nobody but describing the owner's key. */
export interface OwnerDocument extends DidDocumentBase {
  assertion_method?: string[];
  name: string;
  full_name: string;
  meta?: unknown;
  default_zone_did?: string;
  wallets?: Record<string, OwnerWallet>;
}

/** DeviceConfig upstream; an owner-signed JWT. */
export interface DeviceDocument extends DidDocumentBase {
  assertion_method?: string[];
  zone_did?: string;
  owner: string;
  device_type: string;
  device_mini_config_jwt?: string;
  name: string;
  rtcp_port?: number;
  ips?: string[];
  net_id?: string;
  ddns_sn_url?: string;
  /** Omitted when true, as upstream serializes it. */
  support_container?: boolean;
  capbilities?: Record<string, number>;
}

/** DeviceMiniConfig upstream: the compact owner-signed JWT published as DNS TXT `DEV=`. */
export interface DeviceMiniDocument {
  n: string;
  x: string;
  p?: number;
  exp: number;
  iat?: number;
  [extra: string]: unknown;
}

/** ZoneBootConfig upstream; owner-signed, lives outside the zone (DNS TXT `BOOT=`, BNS, local file). */
export interface ZoneBootDocument {
  id?: string;
  oods: string[];
  sn?: string;
  exp: number;
  owner?: string;
  /** Upstream keeps iat among the flattened extras; versions are ordered by it. */
  iat?: number;
  owner_key?: Ed25519PublicJwk;
  [extra: string]: unknown;
}

/** The public zone DID document (ZoneConfig in old name-lib); owner-signed. */
export interface ZoneDocument extends DidDocumentBase {
  assertionMethod?: string[];
  hostname: string;
  owner: string;
  oods: string[];
  boot_jwt: string;
  devices?: Record<string, DeviceDocument>;
  sn?: string;
  docker_repo_base_url?: string;
  verify_hub_info?: VerifyHubInfo;
}



/** Machine facts a device reports about itself (the non-document part of DeviceInfo). */
export interface DeviceMachineFacts {
  arch: string;
  os: string;
  update_time: number;
  state?: string;
  sys_hostname?: string;
  base_os_info?: string;
  all_ip?: string[];
  cpu_info?: string;
  cpu_num?: number;
  cpu_mhz?: number;
  total_mem?: number;
  mem_usage?: number;
}

/** Runtime state of a device (`devices/<name>/info`): the DeviceDocument flattened plus machine facts. */
export type DeviceInfo = DeviceDocument & DeviceMachineFacts;

/** etc/node_identity.json: who this device is and the owner key it trusts (written at activation or join). */
export interface NodeIdentityFile {
  schema: 'buckyos.node_identity.v2';
  zone_did: string;
  owner_did: string;
  owner_public_key: Ed25519PublicJwk;
  device_name: string;
  device_did: string;
  /** iat of the ZoneBootConfig accepted at activation; older boot configs are refused. */
  zone_iat: number;
}
