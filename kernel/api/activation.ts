// The activation kRPC API an unactivated device serves (POST /kapi/active, spec 40 §6.3). The owner's
// client derives the owner key and signs; the device never sees the mnemonic.
import type { NoParams } from './krpc.js';
import type {
  DeviceDocument, DeviceInfo, DeviceMiniDocument, Ed25519PublicJwk, OwnerDocument, ZoneBootDocument,
} from './identity.js';
import type { EnrolmentDelegation } from './devices.js';

export type GatewayNetId = 'nat' | 'wan_dyn' | 'portmap' | 'wan';

export interface ActiveNameMapping {
  owner_name: string;
  owner_did: string;
  zone_did: string;
  access_hostname: string;
  bns_publish_name: string;
  use_self_domain: boolean;
}

export interface GatewayTopology {
  net_id: GatewayNetId;
  rtcp_port: number;
  support_container: boolean;
  uses_sn_relay: boolean;
  /** Required only with uses_sn_relay (ours: upstream always requires an SN). */
  sn_url?: string;
}

export interface PrepareActiveDocumentsParams {
  owner_document: OwnerDocument;
  names: ActiveNameMapping;
  topology: Omit<GatewayTopology, 'rtcp_port' | 'support_container'> & { rtcp_port?: number; support_container?: boolean };
  device_public_key: Ed25519PublicJwk;
}

export interface PreparedActiveDocuments {
  owner_document: OwnerDocument;
  names: ActiveNameMapping;
  topology: GatewayTopology;
  boot_document: ZoneBootDocument;
  device_document: DeviceDocument;
  device_mini_document: DeviceMiniDocument;
  device_info: DeviceInfo;
  /**
   * Ours (issue 11): the claims of an enrolment delegation over an enrolment key this device made for
   * this activation. The owner may sign it with the other documents (signed_documents.
   * enrolment_delegation_jwt), so the OOD approves nodes from day one without the recovery words.
   */
  enrolment_delegation_request?: EnrolmentDelegation;
}

export interface SignedActiveDocuments {
  boot_document_jwt: string;
  device_document_jwt: string;
  device_mini_document_jwt: string;
  zone_document_jwt: string;
  /** Ours (issue 11): the owner's signature over prepared.enrolment_delegation_request, when the owner gives it. */
  enrolment_delegation_jwt?: string;
}

export interface SystemSettings {
  /** hashPassword(password, owner name): a verifier, never the password. */
  admin_password_hash: string;
  guest_access?: boolean;
  enabled_features?: string[];
}

export interface CommitActiveParams {
  owner_document: OwnerDocument;
  prepared: PreparedActiveDocuments;
  signed_documents: SignedActiveDocuments;
  system_settings: SystemSettings;
}

export interface CommitActiveResult {
  status: 'completed';
  access_hostname: string;
}

export interface DeviceKeyPairResult {
  public_key: Ed25519PublicJwk;
}


export interface ActivationMethods {
  generate_device_key_pair: { params: NoParams; result: DeviceKeyPairResult };
  prepare_active_documents: { params: PrepareActiveDocumentsParams; result: PreparedActiveDocuments };
  commit_active: { params: CommitActiveParams; result: CommitActiveResult };
}
