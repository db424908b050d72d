// First boot (spec 20 §2, ours in one transaction): turns the activation outputs into the zone's
// initial key set. Pure: the caller writes every key with `create` in ONE sys_config_exec_tx, so the
// boot either happens completely or not at all, and fails cleanly when boot/config already exists.
// The derived values (RBAC tail, gateway info) are exactly what the first scheduler pass derives,
// so that pass rewrites nothing.
import { KrpcError } from '../lib/errors.js';
import { buildZoneConfig } from '../lib/identity/documents.js';
import type { StartConfigFile } from '../lib/identity/files.js';
import type { Ed25519KeyPair } from '../lib/identity/keys.js';
import { canonicalJson } from './canonical.js';
import { gatewayInfoRenderer, selectorOf } from './gateway-info.js';
import { KERNEL_SERVICES, buildKernelServiceSpec } from './kernel-specs.js';
import {
  BOOT_CONFIG_KEY, GATEWAY_SETTINGS_KEY, RBAC_POLICY_KEY, deviceDocKey, isSafeName, nodeConfigKey, nodeGatewayConfigKey, nodeGatewayInfoKey, serviceSpecKey,
} from '../api/keys.js';
import { deriveRbacLines, renderPolicy } from './rbac.js';
import type { NodeConfig, NodeType } from './types.js';
import { decodeDocument, oodNamesOf, readZoneDocument } from './zone-document.js';
import { SYSTEM_PKGS_KEY, VERIFY_HUB_KEY, VERIFY_HUB_SETTINGS_KEY, passwordKey, userDocKey, userProfileKey, userSettingsKey } from '../api/keys.js';

export interface BootInput {
  startConfig: StartConfigFile;
  zoneDocumentJwt: string;
  /** The verified ZoneBootConfig payload (its `oods` list). */
  zoneBootConfig: { oods?: unknown; [claim: string]: unknown };
  ownerDid: string;
  oodNames: string[];
  /** device name → owner-signed DeviceDocument JWT */
  deviceDocJwts: Record<string, string>;
  verifyHubKey: Ed25519KeyPair;
  /** unix seconds */
  now: number;
}

export const GATEWAY_SHORTCUTS = { _: { target_type: 'service', app_id: 'control-panel' } };

const invalid = (message: string) => new KrpcError('INVALID_PARAMS', message);

function checkInput(input: BootInput): { admin: string; passwordHash: string } {
  const admin = input.startConfig.user_name;
  if (typeof admin !== 'string' || !isSafeName(admin) || admin === 'root')
    throw invalid('start_config.json user_name is not a valid user name; activate the OOD again');
  const owner = input.startConfig.owner_document;
  if (!owner || typeof owner !== 'object' || owner.name !== admin)
    throw invalid(`start_config.json owner_document.name must equal user_name "${admin}"; activate the OOD again`);
  if (owner.id !== input.ownerDid) throw invalid('start_config.json owner_document.id is not the owner DID of this node');
  const hash = input.startConfig.admin_password_hash;
  if (typeof hash !== 'string' || hash.length === 0) throw invalid('start_config.json has no admin_password_hash; activate the OOD again');
  if (input.oodNames.length === 0 || !input.oodNames.every(isSafeName)) throw invalid('the OOD names are missing or invalid');
  if (!readZoneDocument(input.zoneDocumentJwt)) throw invalid('the zone document cannot be decoded');
  return { admin, passwordHash: hash };
}

export function buildBootKeys(input: BootInput): Record<string, string> {
  const { admin, passwordHash } = checkInput(input);
  const zone = readZoneDocument(input.zoneDocumentJwt)!;
  const oods = [...new Set([...input.oodNames, ...oodNamesOf(input.zoneBootConfig.oods), ...zone.oods])].filter(isSafeName).sort();
  const owner = input.startConfig.owner_document;
  const keys: Record<string, string> = {};
  const put = (key: string, value: unknown) => { keys[key] = canonicalJson(value); };

  put(BOOT_CONFIG_KEY, buildZoneConfig(input.zoneDocumentJwt, input.verifyHubKey.publicJwk));
  put(userDocKey(admin), owner);
  put(userProfileKey(admin), { name: admin, full_name: typeof owner.full_name === 'string' ? owner.full_name : admin, create_time: input.now });
  put(userSettingsKey('root'), { user_id: 'root', type: 'root', state: 'active', res_pool_id: 'default', is_local: true });
  put(userSettingsKey(admin), { user_id: admin, type: 'admin', state: 'active', res_pool_id: 'default', is_local: true });
  keys[passwordKey(admin)] = passwordHash;
  keys[VERIFY_HUB_KEY] = input.verifyHubKey.privateKeyPem;

  const specs = KERNEL_SERVICES.map(({ name, port }) => ({ name, spec: buildKernelServiceSpec(name, port) }));
  for (const { name, spec } of specs) put(serviceSpecKey(name), spec);
  put(VERIFY_HUB_SETTINGS_KEY, { trust_keys: [] });
  put(GATEWAY_SETTINGS_KEY, { shortcuts: GATEWAY_SHORTCUTS });
  put(SYSTEM_PKGS_KEY, {});

  const nodes: Record<string, NodeType> = Object.fromEntries(oods.map((n) => [n, 'ood' as const]));
  keys[RBAC_POLICY_KEY] = renderPolicy(
    deriveRbacLines({
      users: [{ id: admin, type: 'admin', resPool: 'default' }],
      nodes,
      specs: specs.map(({ name, spec }) => ({ id: name, kind: 'kernel' as const, appId: name, state: spec.state })),
    }),
    '',
  );

  const appInfo = Object.fromEntries(Object.entries(GATEWAY_SHORTCUTS).map(([host, s]) => [host, { service_id: s.app_id, selector: selectorOf(undefined) }]));
  const gatewayInfo = gatewayInfoRenderer({ zoneHost: zone.host, appInfo, serviceInfo: {} }, {});
  for (const ood of oods) {
    const docJwt = Object.hasOwn(input.deviceDocJwts, ood) ? input.deviceDocJwts[ood] : undefined;
    const did = docJwt ? decodeDocument(docJwt)?.id : undefined;
    const config: NodeConfig = {
      node_id: ood, node_did: typeof did === 'string' ? did : `did:bns:${ood}`, kernel: {}, apps: {}, frame_services: {}, state: 'running',
    };
    put(nodeConfigKey(ood), config);
    keys[nodeGatewayInfoKey(ood)] = gatewayInfo(ood).text;
    put(nodeGatewayConfigKey(ood), {});
    if (docJwt) keys[deviceDocKey(ood)] = docJwt;
  }
  return keys;
}
