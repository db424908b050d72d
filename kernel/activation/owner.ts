// The owner's side of activation (CLI `buckyos activate`, later the desktop renderer). The mnemonic and
// the owner's private key stay in this process: we derive the owner key here, let the device prepare
// its documents, check they say what we asked for, sign them here and send only signatures.
// Without an SN the zone is an own-domain zone: zone DID did:web:<zone name>, gateway net_id "nat"
// (spec 40 §6.3 allows nat|wan_dyn|portmap|wan; "nat" = behind the home router, no SN relay).
import { isDeepStrictEqual } from 'node:util';
import { KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { buildDeviceDid, formatDid, isHostName } from '../lib/identity/did.js';
import {
  assembleZoneDocument, buildOwnerDocument, defaultKey, DEFAULT_DOCUMENT_LIFETIME_SECONDS, type OwnerDocument,
} from '../lib/identity/documents.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { sameKey, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { deriveOwnerKeyMaterial, generateMnemonic } from '../lib/identity/mnemonic.js';
import { hashPassword } from '../lib/identity/password.js';
import { ActivationClient, activatedDeviceAt } from './client.js';
import { ACTIVATED_DEVICE_NAME } from './prepare.js';
import type { ActiveNameMapping, PreparedActiveDocuments } from './schema.js';

export const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;
/** Slack for clock skew between the owner's computer and the device when checking prepared times. */
const CLOCK_SLACK_SECONDS = 600;

export interface ActivateDeviceOptions {
  /** "192.168.1.20", "192.168.1.20:3182" or "http://192.168.1.20:3182". */
  deviceUrl: string;
  zoneName: string;
  ownerName: string;
  password: string;
  /** The owner's existing 12 words; a new phrase is generated when absent. */
  mnemonic?: string;
  log?: Logger;
}

export interface ActivateDeviceResult {
  /** Show it to the owner once when generatedMnemonic is true; it is the only way to recover the owner key. */
  mnemonic: string;
  generatedMnemonic: boolean;
  zoneDid: string;
  ownerDid: string;
  deviceName: string;
  accessHostname: string;
}

export async function activateDevice(opts: ActivateDeviceOptions): Promise<ActivateDeviceResult> {
  const log = opts.log ?? silentLogger;
  const zoneName = normalizeZoneName(opts.zoneName);
  const ownerName = normalizeOwnerName(opts.ownerName);
  checkPassword(opts.password);
  const generatedMnemonic = opts.mnemonic === undefined;
  const material = deriveOwnerKeyMaterial(opts.mnemonic ?? generateMnemonic());
  const client = new ActivationClient(opts.deviceUrl);

  const ownerDocument = buildOwnerDocument({ name: ownerName, publicJwk: material.ownerKey.publicJwk, evmAddress: material.evmAddress, iat: nowSeconds() });
  const names: ActiveNameMapping = {
    owner_name: ownerName,
    owner_did: ownerDocument.id,
    zone_did: formatDid({ method: 'web', id: zoneName }),
    access_hostname: zoneName,
    bns_publish_name: ownerName,
    use_self_domain: true,
  };

  log.info('asking the device for a key', { device: client.baseUrl });
  const { public_key: devicePublicKey } = await client.generateDeviceKeyPair().catch(async (e) => {
    if (!(e instanceof KrpcError) || e.code !== 'UNAVAILABLE') throw e;
    const activated = await activatedDeviceAt(client.baseUrl);
    if (!activated) throw e;
    const zone = activated.zone.replace(/^did:web:/, '');
    throw new KrpcError('ALREADY_ACTIVATED', activated.role === 'ood'
      ? `this device is already activated as the OOD of ${zone} (${activated.zone}); its zone answers at ${activated.gateway}`
      : `this device is already a node (${activated.node}) of zone ${zone} (${activated.zone})`);
  });
  const prepared = await client.prepareActiveDocuments({
    owner_document: ownerDocument,
    names,
    topology: { net_id: 'nat', uses_sn_relay: false },
    device_public_key: devicePublicKey,
  });
  checkPreparedForSigning(prepared, { ownerDocument, names, devicePublicKey, now: nowSeconds() });

  const ownerPem = material.ownerKey.privateKeyPem;
  const bootJwt = await signDocument(prepared.boot_document, ownerPem);
  const deviceJwt = await signDocument(prepared.device_document, ownerPem);
  const miniJwt = await signDocument(prepared.device_mini_document, ownerPem);
  const zoneDocument = assembleZoneDocument({
    zoneDid: names.zone_did,
    ownerDid: names.owner_did,
    ownerKey: material.ownerKey.publicJwk,
    hostname: names.access_hostname,
    boot: prepared.boot_document,
    bootJwt,
    devices: [{ document: prepared.device_document, miniJwt }],
  });
  const zoneJwt = await signDocument(zoneDocument, ownerPem);

  log.info('committing activation', { zone_did: names.zone_did });
  const done = await client.commitActive({
    owner_document: ownerDocument,
    prepared,
    signed_documents: { boot_document_jwt: bootJwt, device_document_jwt: deviceJwt, device_mini_document_jwt: miniJwt, zone_document_jwt: zoneJwt },
    system_settings: { admin_password_hash: hashPassword(opts.password, ownerName) },
  });
  return {
    mnemonic: material.mnemonic,
    generatedMnemonic,
    zoneDid: names.zone_did,
    ownerDid: names.owner_did,
    deviceName: prepared.device_document.name,
    accessHostname: done.access_hostname,
  };
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
  if (!isDeepStrictEqual(prepared.owner_document, JSON.parse(JSON.stringify(expected.ownerDocument)))) throw refuse('owner document');
  if (!isDeepStrictEqual(prepared.names, expected.names)) throw refuse('names');
  if (boot.id !== expected.names.zone_did || !isDeepStrictEqual(boot.oods, [ACTIVATED_DEVICE_NAME]) || boot.sn !== undefined
    || boot.owner !== undefined || boot.owner_key !== undefined) throw refuse('zone boot config');
  if (device.name !== ACTIVATED_DEVICE_NAME || device.id !== buildDeviceDid(expected.names.zone_did, ACTIVATED_DEVICE_NAME)
    || device.owner !== expected.names.owner_did || device.zone_did !== expected.names.zone_did || device.device_type !== 'ood'
    || !sameKey(defaultKey(device), expected.devicePublicKey)) throw refuse('device document');
  if (mini.n !== device.name || mini.x !== expected.devicePublicKey.x || mini.p !== device.rtcp_port) throw refuse('device mini document');
  const latestExp = expected.now + DEFAULT_DOCUMENT_LIFETIME_SECONDS + CLOCK_SLACK_SECONDS;
  if (boot.exp !== device.exp || mini.exp !== device.exp || device.exp <= expected.now || device.exp > latestExp) throw refuse('expiry');
}
