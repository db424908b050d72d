// The enrolment API an unjoined node serves on :3182 (POST /kapi/join). Ours: upstream has no
// enrolment (spec 40 §8). The device shows a join code (a fingerprint of its public key) so the owner
// can tell its key from one a LAN attacker substituted.
import type { NoParams } from './krpc.js';
import type { Ed25519PublicJwk, NodeIdentityFile } from './identity.js';

export interface JoinRequest {
  device_public_key: Ed25519PublicJwk;
  /** keyFingerprint(device_public_key), shown on the device; the owner types it in to confirm the key. */
  join_code: string;
  hostname: string;
  arch: string;
  os: string;
}

/** What the owner hands a device: everything it needs to boot as a node, nothing secret. */
export interface JoinBundle {
  node_identity: NodeIdentityFile;
  /** Owner-signed DeviceDocument of this device (device_type "server"). */
  device_document_jwt: string;
  zone_boot_config_jwt: string;
  zone_document_jwt: string;
  /** Where this device reaches the zone's OOD gateway, e.g. http://192.168.1.10:3180. */
  ood_url: string;
  /**
   * The pairing code the device shows (issue 11). Required when the device document is signed under
   * the enrolment delegation; `buckyos enroll` (owner-signed, join code checked by the owner) may omit it.
   */
  pairing_code?: string;
}

export interface CommitJoinResult {
  status: 'joined';
  device_name: string;
}

export interface JoinMethods {
  get_join_request: { params: NoParams; result: JoinRequest };
  commit_join: { params: JoinBundle; result: CommitJoinResult };
}
