// The devices methods of the OOD's control panel (issue 11, kernel/api/devices.ts): scan the LAN,
// list the zone's devices, approve one under the owner's enrolment delegation (no recovery words),
// remove one (revocation), and manage the delegation. Who may: the caller's own session must be
// allowed `obj://devices/<name>` by RBAC (admins, the owner; never a plain user or a node). What is
// written is written with the OOD's own device token: the caller never gets rights it did not have.
import {
  DEVICE_REMOVAL_KIND, deviceRevocationKey, type DeviceApproveResult, type DeviceInstance, type DeviceRemovalNotice,
  type DeviceRevocation, type DevicesMethods, type DelegationStatus, type ZoneDevice,
} from '../api/devices.js';
import { DEVICES_DIR, SCHEDULER_SNAPSHOT_KEY, deviceDocKey, deviceInfoKey, instanceReportKey, nodeConfigKey } from '../api/keys.js';
import type { NodeConfig, SchedulerSnapshot, ServiceInstanceReport } from '../api/index.js';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import { deviceKeyId, verifyDeviceDocument } from '../lib/identity/device-chain.js';
import { buildDeviceDid } from '../lib/identity/did.js';
import { keyFingerprint } from '../lib/identity/fingerprint.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';
import { krpcMethods, type KrpcContext, type KrpcMethods } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import type { NodeFinder } from '../lib/node-finder.js';
import { JoinClient } from '../join/client.js';
import { assertNameIsFree, checkDeviceName } from '../join/owner.js';
import type { RepoClient } from '../repo-server/client.js';
import type { SystemConfigClient } from '../system-config/client.js';
import type { EnrolmentDelegate } from './delegation.js';

export interface DevicesDeps {
  /** The caller, from their token (system-config's authenticate + enforce, in this process). */
  authorize(token: string | undefined, resource: string, action: 'read' | 'write'): Promise<void>;
  /** system-config as the OOD itself (device token): writes devices/, the revocation list. */
  kv: SystemConfigClient;
  /** The zone's repo as the OOD (a device name must not be a package's). */
  repo: RepoClient;
  finder?: NodeFinder;
  delegate: EnrolmentDelegate;
  zone: { zoneDid: string; ownerDid: string; ownerPublicJwk: Ed25519PublicJwk; bootJwt: string; documentJwt: string; bootIat: number; oods: string[] };
  /** The OOD device: its name and the key that signs removal notices. */
  ood: { name: string; privateKeyPem: string };
  /** The OOD's gateway URL as a device at `deviceHost` reaches it. */
  oodUrlFor(deviceHost: string): string;
  log: Logger;
}

const NAME = { type: 'string', minLength: 1, maxLength: 63 } as const;
const NO_PARAMS = { type: 'object', additionalProperties: false } as const;
const ONLINE_WITHIN_S = 90;

const parse = <T>(text: string | undefined): T | undefined => {
  if (text === undefined) return undefined;
  try { return JSON.parse(text) as T; } catch { return undefined; }
};

export function devicesMethods(d: DevicesDeps): KrpcMethods {
  const isRevoked = async (id: string) => (await d.kv.get(deviceRevocationKey(id))) !== null;
  const status = (): Promise<DelegationStatus> => d.delegate.status(isRevoked);
  const may = (ctx: KrpcContext, action: 'read' | 'write', name = '*') => d.authorize(ctx.token, `obj://devices/${name}`, action);

  async function listDevices(): Promise<ZoneDevice[]> {
    const snapshot = parse<SchedulerSnapshot>((await d.kv.get(SCHEDULER_SNAPSHOT_KEY))?.value);
    const out: ZoneDevice[] = [];
    for (const name of await d.kv.list(DEVICES_DIR)) {
      const docText = (await d.kv.get(deviceDocKey(name)))?.value;
      if (!docText) continue;
      let verified;
      try {
        verified = await verifyDeviceDocument(docText.trim(), d.zone.ownerPublicJwk, { zoneDid: d.zone.zoneDid, requireExp: false, isRevoked });
      } catch {
        continue;
      }
      const info = parse<Record<string, unknown>>((await d.kv.get(deviceInfoKey(name)))?.value) ?? {};
      const config = parse<NodeConfig>((await d.kv.get(nodeConfigKey(name)))?.value);
      const instances: DeviceInstance[] = [];
      for (const [kind, map] of [['kernel', config?.kernel ?? {}], ['app', config?.apps ?? {}]] as const) {
        for (const [specId, inst] of Object.entries(map as Record<string, { target_state?: string; app_id?: string }>)) {
          const report = parse<ServiceInstanceReport>((await d.kv.get(instanceReportKey(specId, name)))?.value);
          instances.push({ spec_id: specId, kind, target_state: String(inst.target_state ?? ''), ...(report && { state: report.state }) });
        }
      }
      const lastSeen = typeof info.update_time === 'number' ? info.update_time : 0;
      const node = snapshot?.nodes[name];
      const num = (k: string) => (typeof info[k] === 'number' ? (info[k]) : undefined);
      const str = (k: string) => (typeof info[k] === 'string' ? (info[k]) : undefined);
      out.push({
        name, did: verified.doc.id, device_type: verified.doc.device_type, is_ood: d.zone.oods.includes(name),
        state: node?.status === 'gone' ? 'gone' : lastSeen === 0 ? 'registered' : nowSeconds() - lastSeen <= ONLINE_WITHIN_S ? 'online' : 'offline',
        ...(node && { status: node.status, reason: node.reason }),
        last_seen: lastSeen, fingerprint: keyFingerprint(verified.key), approved_by: verified.approvedBy,
        arch: str('arch'), os: str('os'), hostname: str('sys_hostname'),
        ips: Array.isArray(info.all_ip) ? (info.all_ip as string[]) : Array.isArray(info.ips) ? (info.ips as string[]) : undefined,
        cpu_info: str('cpu_info'), cpu_num: num('cpu_num'), cpu_usage: num('cpu_usage'), total_mem: num('total_mem'), mem_usage: num('mem_usage'),
        total_space: num('total_space'), disk_usage: num('disk_usage'),
        instances,
      });
    }
    return out;
  }

  return krpcMethods<DevicesMethods>()({
    'device.scan': {
      params: { type: 'object', properties: { wait_ms: { type: 'integer', minimum: 0, maximum: 10_000 } }, additionalProperties: false },
      handler: async (p, ctx) => {
        await may(ctx, 'read');
        if (!d.finder?.listening) throw new KrpcError('UNAVAILABLE', 'LAN discovery is off on this OOD (UDP 2980 could not be opened); pair the device by its QR code or address instead');
        const devices = await d.finder.scan(p.wait_ms ?? 1500);
        return { devices, scanned_at: Date.now() };
      },
    },
    'device.list': {
      params: NO_PARAMS,
      handler: async (_p, ctx) => {
        await may(ctx, 'read');
        return { devices: await listDevices(), delegation: await status() };
      },
    },
    'device.approve': {
      params: {
        type: 'object', required: ['name', 'device_url', 'pairing_code'], additionalProperties: false,
        properties: { name: NAME, device_url: { type: 'string', minLength: 1, maxLength: 256 }, pairing_code: { type: 'string', minLength: 1, maxLength: 16 }, fingerprint: { type: 'string', maxLength: 20 } },
      },
      handler: async (p, ctx): Promise<DeviceApproveResult> => {
        const name = checkDeviceName(p.name);
        await may(ctx, 'write', name);
        const delegation = await d.delegate.current(isRevoked);
        if (!('jwt' in delegation))
          throw new KrpcError('FAILED_PRECONDITION', `approving devices without the recovery words needs the owner's enrolment delegation (it is ${delegation.state}); run \`buckyos devices delegate\` once with the words, or use \`buckyos enroll\``);
        if (d.zone.oods.includes(name)) throw new KrpcError('ALREADY_EXISTS', `"${name}" is an OOD of this zone; pick another name`);

        const client = new JoinClient(p.device_url, { timeoutMs: 10_000 });
        const request = await client.joinRequest();
        const fingerprint = keyFingerprint(request.device_public_key);
        if (p.fingerprint !== undefined && fingerprint !== p.fingerprint.toUpperCase())
          throw new KrpcError('INTEGRITY', `the device at ${client.baseUrl} has key fingerprint ${fingerprint}, not ${p.fingerprint}; someone on the network may have answered in its place. Nothing was written`);
        if (await isRevoked(deviceKeyId(request.device_public_key)))
          throw new KrpcError('PERMISSION_DENIED', `this device's key was removed from the zone; reset the device (buckyos node reset) so it makes a new key. Nothing was written`);
        await assertNameIsFree(d.kv, d.repo, name);
        const existing = await d.kv.get(deviceDocKey(name));
        if (existing) throw new KrpcError('ALREADY_EXISTS', `the zone already has a device named "${name}"; pick another name or remove that one first`);

        const now = nowSeconds();
        const did = buildDeviceDid(d.zone.zoneDid, name);
        const { jwt, doc } = await d.delegate.signNodeDocument(delegation, { name, did, publicJwk: request.device_public_key, now });
        const host = new URL(client.baseUrl).hostname.replace(/^\[|\]$/g, '');
        // The device checks the pairing code and every signature before it writes anything; the zone
        // learns the device only once the device took it, so a refused approval leaves no trace.
        await client.commitJoin({
          node_identity: {
            schema: 'buckyos.node_identity.v2', zone_did: d.zone.zoneDid, owner_did: d.zone.ownerDid, owner_public_key: d.zone.ownerPublicJwk,
            device_name: name, device_did: did, zone_iat: d.zone.bootIat,
          },
          device_document_jwt: jwt, zone_boot_config_jwt: d.zone.bootJwt, zone_document_jwt: d.zone.documentJwt,
          ood_url: d.oodUrlFor(host), pairing_code: p.pairing_code,
        });
        const { [`enrolment_delegation`]: _carried, ...stub } = doc as unknown as Record<string, unknown>;
        await d.kv.execTx({
          [deviceDocKey(name)]: { action: 'create', value: jwt },
          [deviceInfoKey(name)]: { action: (await d.kv.get(deviceInfoKey(name))) ? 'update' : 'create', value: JSON.stringify({ ...stub, update_time: 0 }) },
        });
        d.finder?.forget(fingerprint);
        d.log.info('device approved under the enrolment delegation', { device: name, fingerprint });
        return { name, did, fingerprint, status: 'joined' };
      },
    },
    'device.remove': {
      params: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: NAME, wipe: { type: 'boolean' } } },
      handler: async (p, ctx) => {
        await may(ctx, 'write', p.name);
        if (d.zone.oods.includes(p.name)) throw new KrpcError('FAILED_PRECONDITION', `"${p.name}" is an OOD of this zone; an OOD is not removed from the control panel`);
        const entry = await d.kv.get(deviceDocKey(p.name));
        if (!entry) throw new KrpcError('NOT_FOUND', `there is no device "${p.name}" in this zone`);
        let key: Ed25519PublicJwk;
        try {
          key = (await verifyDeviceDocument(entry.value.trim(), d.zone.ownerPublicJwk, { requireExp: false })).key;
        } catch {
          throw new KrpcError('INTEGRITY', `${deviceDocKey(p.name)} is not a device document this zone trusts; nothing to revoke`);
        }
        const id = deviceKeyId(key);
        const revocation: DeviceRevocation = { kind: 'device_key', name: p.name, revoked_at: nowSeconds(), wipe: p.wipe === true };
        const config = await d.kv.get(nodeConfigKey(p.name));
        // One transaction: the key goes on the list every verifier checks as its document leaves, so no
        // verifier sees the device trusted after this; the scheduler then places its instances elsewhere.
        await d.kv.execTx({
          [deviceRevocationKey(id)]: { action: (await d.kv.get(deviceRevocationKey(id))) ? 'update' : 'create', value: JSON.stringify(revocation) },
          [deviceDocKey(p.name)]: { action: 'remove' },
          ...((await d.kv.get(deviceInfoKey(p.name))) && { [deviceInfoKey(p.name)]: { action: 'remove' as const } }),
          ...(config && { [nodeConfigKey(p.name)]: { action: 'remove' as const } }),
        });
        d.log.info('device removed and its key revoked', { device: p.name, key_id: id, wipe: revocation.wipe });
        return { name: p.name, revocation: id };
      },
    },
    'device.delegation': {
      params: NO_PARAMS,
      handler: async (_p, ctx) => {
        await may(ctx, 'read');
        return status();
      },
    },
    'device.delegate': {
      params: { type: 'object', required: ['delegation_jwt'], additionalProperties: false, properties: { delegation_jwt: { type: 'string', minLength: 1, maxLength: 8192 } } },
      handler: async (p, ctx) => {
        await may(ctx, 'write');
        try {
          await d.delegate.accept(p.delegation_jwt, isRevoked);
        } catch (e) {
          if (isKrpcError(e, 'UNAUTHENTICATED')) throw new KrpcError('PERMISSION_DENIED', `${(e as Error).message.replace(/^UNAUTHENTICATED: /, '')}; sign the request of device.delegation with the owner key`);
          throw e;
        }
        d.log.info('enrolment delegation accepted');
        return status();
      },
    },
    'device.revoke_delegation': {
      params: NO_PARAMS,
      handler: async (_p, ctx) => {
        await may(ctx, 'write');
        const c = await d.delegate.current(isRevoked);
        if ('jwt' in c) {
          const revocation: DeviceRevocation = { kind: 'delegation', name: d.ood.name, revoked_at: nowSeconds(), wipe: false };
          await d.kv.set(deviceRevocationKey(c.d.jti), JSON.stringify(revocation));
        }
        await d.delegate.discard();
        d.log.info('enrolment delegation revoked');
        return status();
      },
    },
    'device.removal_notice': {
      params: { type: 'object', required: ['key_id'], additionalProperties: false, properties: { key_id: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
      handler: async (p) => {
        const entry = parse<DeviceRevocation>((await d.kv.get(deviceRevocationKey(p.key_id)))?.value);
        if (!entry || entry.kind !== 'device_key') return { removed: false as const };
        const now = nowSeconds();
        const notice: DeviceRemovalNotice = { kind: DEVICE_REMOVAL_KIND, zone: d.zone.zoneDid, device: entry.name, key_id: p.key_id, wipe: entry.wipe, iat: now, exp: now + 600 };
        return { removed: true as const, notice: await signJwt({ ...notice, iss: d.ood.name }, d.ood.privateKeyPem, d.ood.name) };
      },
    },
  });
}
