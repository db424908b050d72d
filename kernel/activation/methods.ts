// The activation kRPC methods. One activation attempt lives in memory: the device key pair made by
// generate_device_key_pair (its private half never leaves this process until it is written to etc/)
// and the documents prepare_active_documents built. commit_active accepts only signatures over exactly
// those documents, by the key of the OwnerDocument it was prepared with. Calls run one at a time, so
// two racing commits cannot both win; after a commit every method answers ALREADY_ACTIVATED.
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { KrpcError } from '../lib/errors.js';
import { oneAtATime } from '../lib/one-at-a-time.js';
import { krpcMethods, type KrpcMethods } from '../lib/krpc/server.js';
import type { ActivationMethods as ActivationApi } from '../api/activation.js';
import { buildDelegationRequest } from '../api/devices.js';
import { verifyDelegation } from '../lib/identity/device-chain.js';
import type { Logger } from '../lib/log.js';
import type { DataPaths } from '../lib/paths.js';
import { generateEd25519, sameKey, type Ed25519KeyPair, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { assembleZoneDocument, defaultKey, MAX_INLINE_DOCUMENT_BYTES, type ZoneDocument } from '../lib/identity/documents.js';
import { verifyOwnerSigned } from '../lib/identity/document-jwt.js';
import { validateOwnerDocument } from '../lib/identity/owner-document.js';
import { isPasswordHash } from '../lib/identity/password.js';
import { machineFacts } from '../lib/device-info.js';
import { alreadyActivated, persistActivation, readActivationState, type ActivationRecord } from './files.js';
import { buildPreparedDocuments, checkNames, checkTopology } from './prepare.js';
import {
  commitActiveSchema, generateDeviceKeyPairSchema, prepareActiveDocumentsSchema,
  type CommitActiveParams, type CommitActiveResult, type DeviceKeyPairResult, type GatewayTopology,
  type PrepareActiveDocumentsParams, type PreparedActiveDocuments,
} from './schema.js';

/** Largest clock skew accepted for a document's iat (upstream: device iat ≤ now + 300 s). */
const MAX_FUTURE_IAT_SECONDS = 300;

export interface ActivationRuntime {
  paths: DataPaths;
  log: Logger;
  /** Unix seconds. */
  now: () => number;
  onActivated: () => void;
  /** Throws when this device could not run what activation commits it to (e.g. a kernel port is taken). */
  preflight?: () => Promise<void>;
}

interface ActivationAttempt {
  deviceKey: Ed25519KeyPair;
  /** The OOD's enrolment key (issue 11), kept only if the owner signs the delegation over it. */
  enrolmentKey: Ed25519KeyPair;
  prepared?: PreparedActiveDocuments;
}

export interface ActivationMethods {
  methods: KrpcMethods;
  /** Drops the in-memory device key of an unfinished attempt. */
  forget(): void;
}

const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export function createActivationMethods(rt: ActivationRuntime): ActivationMethods {
  let attempt: ActivationAttempt | undefined;
  let activated = false;
  const serialized = oneAtATime();

  const ensureInactive = async () => {
    if (activated) throw alreadyActivated();
    const state = await readActivationState(rt.paths);
    if (state === 'actived') {
      activated = true;
      attempt = undefined;
      throw alreadyActivated();
    }
    if (state === 'error')
      throw new KrpcError('FAILED_PRECONDITION', 'etc/node_identity.json exists but cannot be read; reset this device before activating it');
  };

  const currentAttempt = (): ActivationAttempt => {
    if (!attempt) throw new KrpcError('FAILED_PRECONDITION', 'call generate_device_key_pair first: this device has no key for this activation yet');
    return attempt;
  };

  const generateDeviceKeyPair = (): Promise<DeviceKeyPairResult> =>
    serialized(async () => {
      await ensureInactive();
      await rt.preflight?.();
      attempt = { deviceKey: generateEd25519(), enrolmentKey: generateEd25519() };
      return { public_key: attempt.deviceKey.publicJwk };
    });

  const prepareActiveDocuments = (p: PrepareActiveDocumentsParams): Promise<PreparedActiveDocuments> =>
    serialized(async () => {
      await ensureInactive();
      const current = currentAttempt();
      validateOwnerDocument(p.owner_document);
      checkNames(p.names, p.owner_document);
      const topology: GatewayTopology = {
        net_id: p.topology.net_id,
        rtcp_port: p.topology.rtcp_port!,
        support_container: p.topology.support_container!,
        uses_sn_relay: p.topology.uses_sn_relay,
        ...(p.topology.sn_url !== undefined && { sn_url: p.topology.sn_url }),
      };
      checkTopology(topology);
      if (!sameKey(p.device_public_key, current.deviceKey.publicJwk))
        throw new KrpcError('INVALID_PARAMS', 'device_public_key is not the key this device generated; use the public_key from the latest generate_device_key_pair');
      const now = rt.now();
      const documents = buildPreparedDocuments({
        owner: p.owner_document, names: p.names, topology, devicePublicKey: current.deviceKey.publicJwk, now, facts: machineFacts(now),
      });
      current.prepared = plain({
        ...documents,
        enrolment_delegation_request: buildDelegationRequest({
          ownerDid: p.names.owner_did, zoneDid: p.names.zone_did, holder: documents.device_document.name,
          delegateKey: current.enrolmentKey.publicJwk, jti: randomBytes(12).toString('hex'), now,
        }),
      });
      return current.prepared;
    });

  const commitActive = (p: CommitActiveParams): Promise<CommitActiveResult> =>
    serialized(async () => {
      await ensureInactive();
      const current = currentAttempt();
      if (!current.prepared) throw new KrpcError('FAILED_PRECONDITION', 'call prepare_active_documents first: nothing has been prepared for this device key');
      const record = await checkCommit(p, current, rt.now());
      await rt.preflight?.();
      await persistActivation(rt.paths, record);
      activated = true;
      attempt = undefined;
      rt.log.info('device activated', { zone_did: record.nodeIdentity.zone_did, device_did: record.nodeIdentity.device_did });
      setImmediate(() => {
        try {
          rt.onActivated();
        } catch (e) {
          rt.log.error('onActivated failed', { err: (e as Error).message });
        }
      });
      return { status: 'completed', access_hostname: current.prepared.names.access_hostname };
    });

  return {
    methods: krpcMethods<ActivationApi>()({
      generate_device_key_pair: { params: generateDeviceKeyPairSchema, handler: () => generateDeviceKeyPair() },
      prepare_active_documents: { params: prepareActiveDocumentsSchema, handler: (p) => prepareActiveDocuments(p) },
      commit_active: { params: commitActiveSchema, handler: (p) => commitActive(p) },
    }),
    forget() {
      attempt = undefined;
    },
  };
}

/** Everything commit_active checks before anything is written; returns what to write. */
async function checkCommit(p: CommitActiveParams, attempt: ActivationAttempt, now: number): Promise<ActivationRecord> {
  const prepared = attempt.prepared!;
  const ownerKey = validateOwnerDocument(p.owner_document);
  if (!isDeepStrictEqual(p.prepared, prepared))
    throw new KrpcError('INVALID_PARAMS', 'prepared differs from the documents this device prepared; call prepare_active_documents again and sign what it returns');
  if (!isDeepStrictEqual(p.owner_document, prepared.owner_document))
    throw new KrpcError('INVALID_PARAMS', 'owner_document differs from the one the documents were prepared with');
  if (!sameKey(defaultKey(prepared.device_document), attempt.deviceKey.publicJwk))
    throw new KrpcError('INVALID_PARAMS', "the device document does not carry this device's key");
  if (!isPasswordHash(p.system_settings.admin_password_hash))
    throw new KrpcError('INVALID_PARAMS', 'system_settings.admin_password_hash must be base64(sha256(password + owner name + ".buckyos")), never the password itself');

  const signed = p.signed_documents;
  await expectSigned(signed.boot_document_jwt, prepared.boot_document, ownerKey, now, 'boot_document_jwt');
  await expectSigned(signed.device_document_jwt, prepared.device_document, ownerKey, now, 'device_document_jwt');
  await expectSigned(signed.device_mini_document_jwt, prepared.device_mini_document, ownerKey, now, 'device_mini_document_jwt');
  const zone: ZoneDocument = assembleZoneDocument({
    zoneDid: prepared.names.zone_did,
    ownerDid: prepared.names.owner_did,
    ownerKey,
    hostname: prepared.names.access_hostname,
    boot: prepared.boot_document,
    bootJwt: signed.boot_document_jwt,
    devices: [{ document: prepared.device_document, miniJwt: signed.device_mini_document_jwt }],
  });
  await expectSigned(signed.zone_document_jwt, zone, ownerKey, now, 'zone_document_jwt');
  if (signed.zone_document_jwt.length >= MAX_INLINE_DOCUMENT_BYTES)
    throw new KrpcError('INVALID_PARAMS', `zone_document_jwt must be shorter than ${MAX_INLINE_DOCUMENT_BYTES} bytes`);
  for (const [what, doc] of [['boot', prepared.boot_document], ['device', prepared.device_document], ['device mini', prepared.device_mini_document]] as const) {
    if (doc.exp <= now) throw new KrpcError('TOKEN_EXPIRED', `the ${what} document has expired; prepare and sign new documents`);
    if ((doc.iat ?? 0) > now + MAX_FUTURE_IAT_SECONDS)
      throw new KrpcError('INVALID_PARAMS', `the ${what} document is issued in the future; check the clocks of this device and the owner's computer`);
  }

  // The enrolment delegation (issue 11), when the owner signed it: exactly the request prepared, over
  // the enrolment key this device made, and a delegation every verifier accepts (node types only).
  let enrolment: ActivationRecord['enrolment'];
  if (signed.enrolment_delegation_jwt !== undefined) {
    const request = prepared.enrolment_delegation_request;
    if (!request) throw new KrpcError('INVALID_PARAMS', 'enrolment_delegation_jwt given, but this device prepared no enrolment delegation request');
    await expectSigned(signed.enrolment_delegation_jwt, request, ownerKey, now, 'enrolment_delegation_jwt');
    const d = await verifyDelegation(signed.enrolment_delegation_jwt, ownerKey, { zoneDid: prepared.names.zone_did, now });
    if (!sameKey(d.delegate_key, attempt.enrolmentKey.publicJwk) || d.holder !== prepared.device_document.name)
      throw new KrpcError('INVALID_PARAMS', "enrolment_delegation_jwt is not over this device's enrolment key");
    enrolment = { keyPem: attempt.enrolmentKey.privateKeyPem, delegationJwt: signed.enrolment_delegation_jwt };
  }

  const device = prepared.device_document;
  const settings = p.system_settings;
  return {
    nodeIdentity: {
      schema: 'buckyos.node_identity.v2',
      zone_did: prepared.names.zone_did,
      owner_did: prepared.names.owner_did,
      owner_public_key: ownerKey,
      device_name: device.name,
      device_did: device.id,
      zone_iat: zone.iat,
    },
    startConfig: {
      user_name: prepared.owner_document.name,
      owner_document: prepared.owner_document,
      zone_name: prepared.names.zone_did,
      access_hostname: prepared.names.access_hostname,
      zone_document_jwt: signed.zone_document_jwt,
      boot_config_jwt: signed.boot_document_jwt,
      device_doc_jwt: signed.device_document_jwt,
      device_mini_doc_jwt: signed.device_mini_document_jwt,
      ood_jwt: signed.device_document_jwt,
      admin_password_hash: settings.admin_password_hash,
      guest_access: settings.guest_access ?? false,
      enabled_features: settings.enabled_features ?? [],
    },
    deviceKeyPem: attempt.deviceKey.privateKeyPem,
    deviceDocJwt: signed.device_document_jwt,
    deviceMiniDocJwt: signed.device_mini_document_jwt,
    zoneBootJwt: signed.boot_document_jwt,
    zoneDocJwt: signed.zone_document_jwt,
    ...(enrolment && { enrolment }),
  };
}

async function expectSigned(jwt: string, expected: object, ownerKey: Ed25519PublicJwk, now: number, what: string): Promise<void> {
  const payload = await verifyOwnerSigned(jwt, ownerKey, { now, what });
  if (!isDeepStrictEqual(payload, plain(expected)))
    throw new KrpcError('INVALID_PARAMS', `${what} does not sign the prepared document; sign exactly what prepare_active_documents returned`);
}
