// DIDs as BuckyOS uses them (spec 40 §2): `did:<method>:<id>`, where a bare hostname means did:web,
// `did:dev:<x>` embeds the device's Ed25519 public key, and every DID maps to a hostname.
import { KrpcError } from '../errors.js';
import { isEd25519PublicJwk, type Ed25519PublicJwk } from './jwk.js';

export interface Did {
  method: string;
  id: string;
}

/** Web3 bridges: DID method → base hostname, e.g. { bns: 'web3.buckyos.ai' }. */
export type BridgeConfig = Readonly<Record<string, string>>;

const METHOD = /^[a-z0-9]{1,32}$/;
// DID-core idchar plus ':' between segments; no empty segments.
const ID = /^[A-Za-z0-9._%-]+(?::[A-Za-z0-9._%-]+)*$/;
const MAX_DID_LENGTH = 512;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isDid(value: string): boolean {
  return value.startsWith('did:');
}

/** Parses `did:<method>:<id>`; a bare hostname becomes did:web (or did:<m>:<id> for `<id>.<m>.did` and bridge hosts). */
export function parseDid(value: string, bridges: BridgeConfig = {}): Did {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DID_LENGTH)
    throw new KrpcError('INVALID_PARAMS', `"${String(value).slice(0, 64)}" is not a DID or hostname`);
  if (!isDid(value)) return didFromHostName(value, bridges);
  const rest = value.slice(4);
  const colon = rest.indexOf(':');
  const method = colon < 0 ? '' : rest.slice(0, colon);
  const id = colon < 0 ? '' : rest.slice(colon + 1);
  if (!METHOD.test(method) || !ID.test(id))
    throw new KrpcError('INVALID_PARAMS', `"${value.slice(0, 64)}" is not a valid DID (expected did:<method>:<id>)`);
  return { method, id };
}

export function formatDid(did: Did): string {
  return `did:${did.method}:${did.id}`;
}

/** did:web:X → X; a bridged method → `<id>.<bridge>`; any other → `<id>.<method>.did`. */
export function didToHostName(did: Did | string, bridges: BridgeConfig = {}): string {
  const d = typeof did === 'string' ? parseDid(did, bridges) : did;
  if (d.method === 'web') return d.id;
  const bridge = Object.hasOwn(bridges, d.method) ? bridges[d.method] : undefined;
  return bridge ? `${d.id}.${bridge}` : `${d.id}.${d.method}.did`;
}

export function didFromHostName(hostName: string, bridges: BridgeConfig = {}): Did {
  const host = hostName.trim().toLowerCase();
  if (!isHostName(host)) throw new KrpcError('INVALID_PARAMS', `"${hostName.slice(0, 64)}" is not a valid hostname`);
  const labels = host.split('.');
  if (labels.length === 3 && labels[2] === 'did') return { method: labels[1], id: labels[0] };
  for (const [method, base] of Object.entries(bridges)) {
    if (host.endsWith(`.${base}`)) return { method, id: host.slice(0, -(base.length + 1)) };
  }
  return { method: 'web', id: host };
}

/** A DNS hostname: dot-separated labels of [a-z0-9-], 1..63 chars, no leading/trailing hyphen, ≤ 253 total. */
export function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  return value.split('.').every((l) => DNS_LABEL.test(l));
}

export function devDidFromJwk(jwk: Ed25519PublicJwk): string {
  if (!isEd25519PublicJwk(jwk)) throw new KrpcError('INVALID_PARAMS', 'a did:dev needs an Ed25519 public key');
  return `did:dev:${jwk.x}`;
}

/** The public key a did:dev carries in its id. */
export function jwkFromDevDid(did: Did | string): Ed25519PublicJwk {
  const d = typeof did === 'string' ? parseDid(did) : did;
  const jwk: Ed25519PublicJwk = { kty: 'OKP', crv: 'Ed25519', x: d.id };
  if (d.method !== 'dev' || !isEd25519PublicJwk(jwk))
    throw new KrpcError('INVALID_PARAMS', `${formatDid(d).slice(0, 80)} is not a did:dev with an Ed25519 key`);
  return jwk;
}

/** `did:<zone method>:<device>.<zone id>`, e.g. did:bns:ood1.alice or did:web:ood1.home.example.com. */
export function buildDeviceDid(zoneDid: Did | string, deviceName: string): string {
  const zone = typeof zoneDid === 'string' ? parseDid(zoneDid) : zoneDid;
  if (zone.method === 'dev' || zone.method === 'undefined')
    throw new KrpcError('INVALID_PARAMS', `a device DID cannot be built under ${formatDid(zone)}; use the zone's did:web or did:bns`);
  if (!DNS_LABEL.test(deviceName))
    throw new KrpcError('INVALID_PARAMS', `device name "${deviceName.slice(0, 64)}" must be a lowercase DNS label like "ood1"`);
  return formatDid({ method: zone.method, id: `${deviceName}.${zone.id}` });
}
