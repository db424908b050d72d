// Wire types and JSON schemas of the activation kRPC API (POST /kapi/active, spec 40 §6.3). Request
// objects reject unknown members; an OwnerDocument may carry extra members (upstream's flattened
// extra_info), which validateOwnerDocument screens for secrets.
import type { GatewayNetId, ActiveNameMapping, GatewayTopology, PrepareActiveDocumentsParams, PreparedActiveDocuments, SignedActiveDocuments, SystemSettings, CommitActiveParams, CommitActiveResult, DeviceKeyPairResult } from '../api/activation.js';
export type { GatewayNetId, ActiveNameMapping, GatewayTopology, PrepareActiveDocumentsParams, PreparedActiveDocuments, SignedActiveDocuments, SystemSettings, CommitActiveParams, CommitActiveResult, DeviceKeyPairResult };

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const jwt = { type: 'string', minLength: 16, maxLength: 8192, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$' } as const;
const unixSeconds = { type: 'integer', minimum: 0, maximum: 253402300799 } as const;
const anyObject = { type: 'object' } as const;

const publicJwk = {
  type: 'object',
  additionalProperties: false,
  required: ['kty', 'crv', 'x'],
  properties: {
    kty: { const: 'OKP' },
    crv: { const: 'Ed25519' },
    x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    kid: text(128),
  },
} as const;

const ownerDocument = {
  type: 'object',
  required: ['@context', 'id', 'verificationMethod', 'authentication', 'exp', 'iat', 'name', 'full_name'],
  properties: {
    '@context': { anyOf: [text(256), { type: 'array', minItems: 1, maxItems: 8, items: text(256) }] },
    id: text(256),
    verificationMethod: {
      type: 'array',
      minItems: 1,
      maxItems: 4,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id', 'controller', 'publicKeyJwk'],
        properties: { type: text(64), id: text(128), controller: text(256), publicKeyJwk: publicJwk },
      },
    },
    authentication: { type: 'array', maxItems: 8, items: text(128) },
    exp: unixSeconds,
    iat: unixSeconds,
    name: text(64),
    full_name: text(256),
    wallets: { type: 'object', maxProperties: 8 },
  },
} as const;

const names = {
  type: 'object',
  additionalProperties: false,
  required: ['owner_name', 'owner_did', 'zone_did', 'access_hostname', 'bns_publish_name', 'use_self_domain'],
  properties: {
    owner_name: text(64),
    owner_did: text(256),
    zone_did: text(300),
    access_hostname: text(253),
    bns_publish_name: text(64),
    use_self_domain: { type: 'boolean' },
  },
} as const;

const topology = {
  type: 'object',
  additionalProperties: false,
  required: ['net_id', 'uses_sn_relay'],
  properties: {
    net_id: { enum: ['nat', 'wan_dyn', 'portmap', 'wan'] },
    rtcp_port: { type: 'integer', minimum: 1, maximum: 65535, default: 2980 },
    support_container: { type: 'boolean', default: true },
    uses_sn_relay: { type: 'boolean' },
    sn_url: text(512),
  },
} as const;

export const generateDeviceKeyPairSchema = { type: 'object', additionalProperties: false, properties: {} } as const;

export const prepareActiveDocumentsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['owner_document', 'names', 'topology', 'device_public_key'],
  properties: { owner_document: ownerDocument, names, topology, device_public_key: publicJwk },
} as const;

export const commitActiveSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['owner_document', 'prepared', 'signed_documents', 'system_settings'],
  properties: {
    owner_document: ownerDocument,
    // Compared member by member with what this device prepared, so only the outline is checked here.
    prepared: {
      type: 'object',
      additionalProperties: false,
      required: ['owner_document', 'names', 'topology', 'boot_document', 'device_document', 'device_mini_document', 'device_info'],
      properties: {
        owner_document: anyObject, names: anyObject, topology: anyObject, boot_document: anyObject,
        device_document: anyObject, device_mini_document: anyObject, device_info: anyObject, enrolment_delegation_request: anyObject,
      },
    },
    signed_documents: {
      type: 'object',
      additionalProperties: false,
      required: ['boot_document_jwt', 'device_document_jwt', 'device_mini_document_jwt', 'zone_document_jwt'],
      properties: { boot_document_jwt: jwt, device_document_jwt: jwt, device_mini_document_jwt: jwt, zone_document_jwt: jwt, enrolment_delegation_jwt: jwt },
    },
    system_settings: {
      type: 'object',
      additionalProperties: false,
      required: ['admin_password_hash'],
      properties: {
        admin_password_hash: text(64),
        guest_access: { type: 'boolean' },
        enabled_features: { type: 'array', maxItems: 64, uniqueItems: true, items: { type: 'string', pattern: '^[a-z0-9_.-]{1,64}$' } },
      },
    },
  },
} as const;
