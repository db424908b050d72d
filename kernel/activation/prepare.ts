// prepare_active_documents as a pure function (spec 40 §6.3): recompute the name mapping from the
// OwnerDocument, check the gateway topology, and build the boot, device and mini documents plus the
// DeviceInfo that the owner will sign. Activation always produces one OOD called "ood1".
import { KrpcError } from '../lib/errors.js';
import { buildDeviceDid, formatDid, isHostName } from '../lib/identity/did.js';
import {
  buildDeviceDocument, buildDeviceInfo, buildDeviceMiniDocument, buildZoneBootDocument,
  DEFAULT_DOCUMENT_LIFETIME_SECONDS, type DeviceMachineFacts, type OwnerDocument,
} from '../lib/identity/documents.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { formatOodString } from '../lib/identity/ood-string.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import type { ActiveNameMapping, GatewayTopology, PreparedActiveDocuments } from './schema.js';

import { ACTIVATED_DEVICE_NAME } from './owner-flow.js';

export { ACTIVATED_DEVICE_NAME };

/** zone_did = did:web:<access_hostname> for an own domain, else the owner DID; BNS name = owner name. */
export function deriveNames(owner: OwnerDocument, accessHostname: string, useSelfDomain: boolean): ActiveNameMapping {
  const host = accessHostname.trim().toLowerCase();
  return {
    owner_name: owner.name,
    owner_did: owner.id,
    zone_did: useSelfDomain ? formatDid({ method: 'web', id: host }) : owner.id,
    access_hostname: host,
    bns_publish_name: owner.name,
    use_self_domain: useSelfDomain,
  };
}

export function checkNames(names: ActiveNameMapping, owner: OwnerDocument): void {
  // The owner becomes the zone's admin user, an RBAC subject beside the OOD device "ood1".
  const reserved = describeReserved(owner.name);
  if (reserved) throw new KrpcError('INVALID_PARAMS', `owner name: ${reserved}; pick another owner name`);
  if (owner.name === ACTIVATED_DEVICE_NAME)
    throw new KrpcError('INVALID_PARAMS', `owner name "${owner.name}" is the name of this OOD device; pick another owner name`);
  if (!isHostName(names.access_hostname))
    throw new KrpcError('INVALID_PARAMS', `access_hostname "${names.access_hostname}" is not a valid lowercase hostname`);
  const expected = deriveNames(owner, names.access_hostname, names.use_self_domain);
  for (const key of Object.keys(expected) as (keyof ActiveNameMapping)[]) {
    if (names[key] !== expected[key])
      throw new KrpcError('INVALID_PARAMS', `names.${key} must be ${JSON.stringify(expected[key])} for this owner document and hostname`);
  }
}

export function checkTopology(topology: GatewayTopology): void {
  if (topology.net_id === 'wan' && topology.uses_sn_relay)
    throw new KrpcError('INVALID_PARAMS', 'a "wan" gateway is reachable directly and cannot use an SN relay; set uses_sn_relay to false');
  if (topology.uses_sn_relay && !topology.sn_url)
    throw new KrpcError('INVALID_PARAMS', 'topology.sn_url is required when uses_sn_relay is true');
  if (topology.sn_url !== undefined) snHost(topology.sn_url);
}

function snHost(snUrl: string): string {
  let url: URL;
  try {
    url = new URL(snUrl);
  } catch {
    throw new KrpcError('INVALID_PARAMS', 'topology.sn_url is not a URL');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.hostname || url.username || url.password || url.search || url.hash)
    throw new KrpcError('INVALID_PARAMS', 'topology.sn_url must be an http(s) URL with a host and no credentials, query or fragment');
  return url.hostname;
}

export interface PrepareInput {
  owner: OwnerDocument;
  names: ActiveNameMapping;
  topology: GatewayTopology;
  devicePublicKey: Ed25519PublicJwk;
  now: number;
  facts: DeviceMachineFacts;
}

/** Expects names and topology already checked. iat order: boot < mini < device, as upstream. */
export function buildPreparedDocuments(input: PrepareInput): PreparedActiveDocuments {
  const { names, topology, now } = input;
  const exp = now + DEFAULT_DOCUMENT_LIFETIME_SECONDS;
  const relay = topology.uses_sn_relay && topology.sn_url !== undefined ? topology.sn_url : undefined;
  const ood = formatOodString({ name: ACTIVATED_DEVICE_NAME, nodeType: 'ood', ...(topology.net_id !== 'nat' && { netId: topology.net_id }) });
  const boot = buildZoneBootDocument({ zoneDid: names.zone_did, oods: [ood], ...(relay && { sn: snHost(relay) }), iat: now, exp });
  const device = buildDeviceDocument({
    name: ACTIVATED_DEVICE_NAME,
    did: buildDeviceDid(names.zone_did, ACTIVATED_DEVICE_NAME),
    publicJwk: input.devicePublicKey,
    owner: names.owner_did,
    zoneDid: names.zone_did,
    deviceType: 'ood',
    rtcpPort: topology.rtcp_port,
    netId: topology.net_id,
    ...(relay && { ddnsSnUrl: relay }),
    supportContainer: topology.support_container,
    iat: now + 2,
    exp,
  });
  return {
    owner_document: input.owner,
    names,
    topology,
    boot_document: boot,
    device_document: device,
    device_mini_document: buildDeviceMiniDocument(device, now + 1),
    device_info: buildDeviceInfo(device, input.facts),
  };
}
