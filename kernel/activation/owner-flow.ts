// The owner's side of activation as one browser-safe module (no node:): the CLI (`buckyos activate`,
// through owner.ts) and the control panel's wizard both run exactly this code, so a zone set up from
// the page has the same documents, byte for byte, as one set up from a terminal. The caller brings the
// transport to the device and a signer holding the owner key; the key and the mnemonic never leave
// the caller. We let the device prepare its documents, check they say what we asked for, sign them
// and send only signatures. Without an SN the zone is an own-domain zone: zone DID did:web:<zone name>,
// gateway net_id "nat" (spec 40 §6.3 allows nat|wan_dyn|portmap|wan; "nat" = behind the home router).
import type { ActivationTransport, OwnerActivationResult, OwnerActivationStep } from '../api/owner-kit.js';
import { delegationRequestProblem, type EnrolmentDelegation } from '../api/devices.js';
import { KrpcError } from '../lib/errors.js';
import { buildDeviceDid, formatDid, isHostName } from '../lib/identity/did.js';
import {
  assembleZoneDocument, buildOwnerDocument, defaultKey, DEFAULT_DOCUMENT_LIFETIME_SECONDS, type OwnerDocument,
} from '../lib/identity/documents.js';
import { sameKey, type Ed25519PublicJwk } from '../lib/identity/jwk.js';
import { hashPassword } from '../lib/identity/password.js';
import type { ActiveNameMapping, PreparedActiveDocuments } from './schema.js';

/** Activation always makes one OOD with this name. */
export const ACTIVATED_DEVICE_NAME = 'ood1';
export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
/** Slack for clock skew between the owner's computer and the device when checking prepared times. */
const CLOCK_SLACK_SECONDS = 600;

export type { ActivationTransport, OwnerActivationResult, OwnerActivationStep };

export interface OwnerActivationInput {
  transport: ActivationTransport;
  zoneName: string;
  ownerName: string;
  password: string;
  /** The owner's public key and EVM address (from the mnemonic). */
  ownerPublicJwk: Ed25519PublicJwk;
  evmAddress: string;
  /** Signs a document with the owner key: an EdDSA JWT with header {"alg":"EdDSA"}. */
  sign(document: object): string | Promise<string>;
  /** Unix seconds. */
  now: number;
  onStep?(step: OwnerActivationStep): void;
  /**
   * Issue 11: also sign the enrolment delegation the device prepared, so the OOD approves nodes from day
   * one without the recovery words (after checking it is narrow and for this zone and device).
   */
  delegateEnrolment?: boolean;
}

export async function runOwnerActivation(input: OwnerActivationInput): Promise<OwnerActivationResult> {
  const zoneName = normalizeZoneName(input.zoneName);
  const ownerName = normalizeOwnerName(input.ownerName);
  checkPassword(input.password);
  const { transport, sign } = input;

  const ownerDocument = buildOwnerDocument({ name: ownerName, publicJwk: input.ownerPublicJwk, evmAddress: input.evmAddress, iat: input.now });
  const names: ActiveNameMapping = {
    owner_name: ownerName,
    owner_did: ownerDocument.id,
    zone_did: formatDid({ method: 'web', id: zoneName }),
    access_hostname: zoneName,
    bns_publish_name: ownerName,
    use_self_domain: true,
  };

  input.onStep?.('device-key');
  const { public_key: devicePublicKey } = await transport.generateDeviceKeyPair();
  input.onStep?.('prepare');
  const prepared = await transport.prepareActiveDocuments({
    owner_document: ownerDocument,
    names,
    topology: { net_id: 'nat', uses_sn_relay: false },
    device_public_key: devicePublicKey,
  });
  checkPreparedForSigning(prepared, { ownerDocument, names, devicePublicKey, now: input.now });

  input.onStep?.('sign');
  const bootJwt = await sign(prepared.boot_document);
  const deviceJwt = await sign(prepared.device_document);
  const miniJwt = await sign(prepared.device_mini_document);
  const zoneDocument = assembleZoneDocument({
    zoneDid: names.zone_did,
    ownerDid: names.owner_did,
    ownerKey: input.ownerPublicJwk,
    hostname: names.access_hostname,
    boot: prepared.boot_document,
    bootJwt,
    devices: [{ document: prepared.device_document, miniJwt }],
  });
  const zoneJwt = await sign(zoneDocument);
  const request = input.delegateEnrolment ? prepared.enrolment_delegation_request : undefined;
  if (request) checkDelegationRequest(request, names, prepared.device_document.name);
  const delegationJwt = request ? await sign(request) : undefined;

  input.onStep?.('commit');
  const done = await transport.commitActive({
    owner_document: ownerDocument,
    prepared,
    signed_documents: {
      boot_document_jwt: bootJwt, device_document_jwt: deviceJwt, device_mini_document_jwt: miniJwt, zone_document_jwt: zoneJwt,
      ...(delegationJwt && { enrolment_delegation_jwt: delegationJwt }),
    },
    system_settings: { admin_password_hash: hashPassword(input.password, ownerName) },
  });
  return {
    zoneDid: names.zone_did, ownerDid: names.owner_did, deviceName: prepared.device_document.name, accessHostname: done.access_hostname,
    enrolmentDelegated: delegationJwt !== undefined,
  };
}

/** The owner signs only a narrow delegation: node types, at most a year, this zone, this owner, this OOD. */
function checkDelegationRequest(r: EnrolmentDelegation, names: ActiveNameMapping, holder: string): void {
  const problem = delegationRequestProblem(r, r?.delegate_key?.x ?? '')
    ?? (r.iss !== names.owner_did || r.zone !== names.zone_did || r.holder !== holder ? 'it is for another owner, zone or device' : undefined);
  if (problem) throw new KrpcError('INTEGRITY', `the device asked for an enrolment delegation the owner should not sign (${problem}); nothing was signed`);
}

export function normalizeZoneName(value: string): string {
  const name = String(value ?? '').trim().toLowerCase();
  if (!isHostName(name))
    throw new KrpcError('INVALID_PARAMS', `zone name "${String(value).slice(0, 64)}" must be a hostname of letters, digits and "-" (e.g. "home" or "home.example.com")`);
  return name;
}

export function normalizeOwnerName(value: string): string {
  const name = String(value ?? '').trim().toLowerCase();
  if (!/^[a-z0-9_-]{1,64}$/.test(name))
    throw new KrpcError('INVALID_PARAMS', `owner name "${String(value).slice(0, 64)}" must be 1-64 letters, digits, "_" or "-"`);
  return name;
}

export function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH)
    throw new KrpcError('INVALID_PARAMS', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH)
    throw new KrpcError('INVALID_PARAMS', `the password must have at most ${MAX_PASSWORD_LENGTH} characters`);
}

/** Structural equality of JSON values, member order ignored (what node:util's isDeepStrictEqual says for JSON). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => jsonEqual(v, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

interface SigningExpectation {
  ownerDocument: OwnerDocument;
  names: ActiveNameMapping;
  devicePublicKey: Ed25519PublicJwk;
  now: number;
}

/** The owner signs what the device prepared, so check it is the zone we asked for with the key the device showed us. */
function checkPreparedForSigning(prepared: PreparedActiveDocuments, expected: SigningExpectation): void {
  const refuse = (what: string) =>
    new KrpcError('INTEGRITY', `the device prepared documents that do not match this activation (${what}); nothing was signed`);
  const { boot_document: boot, device_document: device, device_mini_document: mini } = prepared;
  if (!jsonEqual(prepared.owner_document, JSON.parse(JSON.stringify(expected.ownerDocument)))) throw refuse('owner document');
  if (!jsonEqual(prepared.names, expected.names)) throw refuse('names');
  if (boot.id !== expected.names.zone_did || !jsonEqual(boot.oods, [ACTIVATED_DEVICE_NAME]) || boot.sn !== undefined
    || boot.owner !== undefined || boot.owner_key !== undefined) throw refuse('zone boot config');
  if (device.name !== ACTIVATED_DEVICE_NAME || device.id !== buildDeviceDid(expected.names.zone_did, ACTIVATED_DEVICE_NAME)
    || device.owner !== expected.names.owner_did || device.zone_did !== expected.names.zone_did || device.device_type !== 'ood'
    || !sameKey(defaultKey(device), expected.devicePublicKey)) throw refuse('device document');
  if (mini.n !== device.name || mini.x !== expected.devicePublicKey.x || mini.p !== device.rtcp_port) throw refuse('device mini document');
  const latestExp = expected.now + DEFAULT_DOCUMENT_LIFETIME_SECONDS + CLOCK_SLACK_SECONDS;
  if (boot.exp !== device.exp || mini.exp !== device.exp || device.exp <= expected.now || device.exp > latestExp) throw refuse('expiry');
}
