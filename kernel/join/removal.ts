// A joined node learning that the owner removed it (issue 11): it asks its OOD now and then
// (device.removal_notice, no token: a removed device has none that works) and believes only a notice
// signed by an OOD key its owner-signed zone document lists, for its own key and zone. A stranger on
// the LAN can at most make it keep asking.
import { DEVICE_REMOVAL_KIND, DEVICES_KAPI_PATH, type DeviceRemovalNotice, type DevicesMethods } from '../api/devices.js';
import { deviceKeyId } from '../lib/identity/device-chain.js';
import { defaultKey, type ZoneDocument } from '../lib/identity/documents.js';
import { decodeUnverified, verifyJwt } from '../lib/identity/jwt.js';
import { ServiceClient } from '../lib/krpc/client.js';
import type { Logger } from '../lib/log.js';
import type { NodeIdentity } from '../node-identity.js';

export interface RemovalWatchOptions {
  id: NodeIdentity;
  /** The zone document, already verified with the owner key. */
  zone: ZoneDocument;
  oodUrl: string;
  log: Logger;
  intervalMs: number;
  onRemoved(wipe: boolean): void;
}

/** A notice from the OOD, checked: signed by an OOD the zone document lists, about this device's key. */
export async function checkRemovalNotice(jwt: string, id: NodeIdentity, zone: ZoneDocument): Promise<DeviceRemovalNotice | undefined> {
  const iss = decodeUnverified(jwt).payload.iss;
  const ood = typeof iss === 'string' && zone.oods.some((o) => o.replace(/^[#$]/, '').split(/[:@]/)[0] === iss) ? zone.devices?.[iss] : undefined;
  const key = ood && defaultKey(ood);
  if (!key) return undefined;
  const n = (await verifyJwt(jwt, key)) as unknown as DeviceRemovalNotice;
  const ok = n.kind === DEVICE_REMOVAL_KIND && n.zone === id.zoneDid && n.device === id.deviceName && n.key_id === deviceKeyId(id.devicePublicJwk);
  return ok ? n : undefined;
}

export function watchForRemoval(o: RemovalWatchOptions): { stop(): Promise<void> } {
  const client = new ServiceClient<DevicesMethods>(`${o.oodUrl}${DEVICES_KAPI_PATH}`, { timeoutMs: 10_000 });
  const keyId = deviceKeyId(o.id.devicePublicJwk);
  let done = false;
  const check = async () => {
    const r = await client.call('device.removal_notice', { key_id: keyId });
    if (!r.removed || done) return;
    const notice = await checkRemovalNotice(r.notice, o.id, o.zone);
    if (!notice) { o.log.warn('ignoring a removal notice not signed by this zone\'s OOD'); return; }
    done = true;
    clearInterval(timer);
    o.onRemoved(notice.wipe);
  };
  const timer = setInterval(() => void check().catch(() => {}), o.intervalMs);
  timer.unref();
  return { stop: async () => { done = true; clearInterval(timer); } };
}
