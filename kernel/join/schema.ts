// Wire types and JSON schemas of the enrolment API an unjoined node serves on :3182 (POST /kapi/join).
// Ours: upstream has no enrolment (spec 40 §8). The device shows a join code (a fingerprint of its
// public key) so the owner can tell its key from one a LAN attacker substituted.
import type { JoinRequest, JoinBundle, CommitJoinResult } from '../api/join.js';
export type { JoinRequest, JoinBundle, CommitJoinResult };

const MAX_JWT = 16 * 1024;
const jwt = { type: 'string', minLength: 1, maxLength: MAX_JWT, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' } as const;
const name = { type: 'string', minLength: 1, maxLength: 256 } as const;
const jwk = {
  type: 'object',
  required: ['kty', 'crv', 'x'],
  additionalProperties: false,
  properties: { kty: { const: 'OKP' }, crv: { const: 'Ed25519' }, x: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, kid: { type: 'string', maxLength: 128 } },
} as const;

export const emptyParams = { type: 'object', additionalProperties: false, maxProperties: 0 } as const;

export const commitJoinSchema = {
  type: 'object',
  required: ['node_identity', 'device_document_jwt', 'zone_boot_config_jwt', 'zone_document_jwt', 'ood_url'],
  additionalProperties: false,
  properties: {
    node_identity: {
      type: 'object',
      required: ['schema', 'zone_did', 'owner_did', 'owner_public_key', 'device_name', 'device_did', 'zone_iat'],
      additionalProperties: false,
      properties: {
        schema: { const: 'buckyos.node_identity.v2' },
        zone_did: name,
        owner_did: name,
        owner_public_key: jwk,
        device_name: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' },
        device_did: name,
        zone_iat: { type: 'integer', minimum: 0, maximum: 2 ** 40 },
      },
    },
    device_document_jwt: jwt,
    zone_boot_config_jwt: jwt,
    zone_document_jwt: jwt,
    ood_url: { type: 'string', minLength: 8, maxLength: 512, pattern: '^https?://' },
    pairing_code: { type: 'string', maxLength: 16 },
  },
} as const;
