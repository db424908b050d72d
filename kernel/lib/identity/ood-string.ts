// The OOD description strings of a ZoneBootConfig (spec 40 §5): `[#|$]<name>[:<ip>][@<net_id>]`.
// No prefix = OOD and gateway, `#` = gateway only, `$` = OOD only. An IP without net_id means "wan".
import { isIP } from 'node:net';
import { KrpcError } from '../errors.js';

export type OodNodeType = 'ood' | 'gateway' | 'ood_only';

export interface OodDescription {
  name: string;
  nodeType: OodNodeType;
  ip?: string;
  netId?: string;
}

const NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/i;
const NET_ID = /^[a-z0-9_]{1,32}$/i;

export function parseOodString(value: string): OodDescription {
  const bad = (why: string) => new KrpcError('INVALID_PARAMS', `OOD string "${String(value).slice(0, 80)}" ${why}; expected [#|$]<name>[:<ip>][@<net_id>]`);
  if (typeof value !== 'string' || value.length === 0 || value.length > 128) throw bad('is empty or too long');
  let rest = value;
  let nodeType: OodNodeType = 'ood';
  if (rest.startsWith('#')) { nodeType = 'gateway'; rest = rest.slice(1); }
  else if (rest.startsWith('$')) { nodeType = 'ood_only'; rest = rest.slice(1); }
  let netId: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    netId = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!NET_ID.test(netId)) throw bad('has an invalid net_id');
  }
  let ip: string | undefined;
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    ip = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (isIP(ip) === 0) throw bad('has an invalid IP address');
  }
  if (!NAME.test(rest)) throw bad('has an invalid device name');
  const out: OodDescription = { name: rest, nodeType };
  if (ip) out.ip = ip;
  const effectiveNetId = netId ?? (ip ? 'wan' : undefined);
  if (effectiveNetId) out.netId = effectiveNetId;
  return out;
}

export function formatOodString(ood: OodDescription): string {
  const prefix = ood.nodeType === 'gateway' ? '#' : ood.nodeType === 'ood_only' ? '$' : '';
  let out = prefix + ood.name;
  if (ood.ip) {
    out += `:${ood.ip}`;
    if (ood.netId && ood.netId !== 'wan') out += `@${ood.netId}`;
    return out;
  }
  if (ood.netId) out += `@${ood.netId}`;
  return out;
}

export const isOod = (ood: OodDescription) => ood.nodeType !== 'gateway';
export const isGateway = (ood: OodDescription) => ood.nodeType !== 'ood_only';
