// rtcp on a zone node: where the stack learns peers (KV device documents, the scheduler's routes,
// discovery hints), which local ports it exposes (its gateway, and the instances the scheduler placed
// on it per nodes/<self>/gateway_info) and the zone's device revocation list (issue 11's
// system/device_revocations/<sha256 of the raw device key>).
import { createHash } from 'node:crypto';
import type { SystemConfigClient, WatchLoop } from '../system-config/client.js';
import { deviceDocKey, nodeGatewayInfoKey } from '../api/keys.js';
import { DEVICE_REVOCATIONS_DIR } from '../api/devices.js';
import type { NodeGatewayInfo } from '../api/zone.js';
import { parseDid } from '../lib/identity/did.js';
import type { Logger } from '../lib/log.js';
import { isKrpcError } from '../lib/errors.js';
import type { PeerDirectory, PeerRecord, RevocationList, VerifiedPeer } from './trust.js';

/** The node name of a device given by name, DID or hostname (device DIDs are did:<m>:<name>.<zone id>). */
export function nodeNameOf(target: string): string | undefined {
  if (/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(target)) return target;
  if (target.startsWith('did:dev:') || target.endsWith('.dev.did')) return undefined;
  try {
    const d = parseDid(target);
    const first = d.id.split('.')[0];
    return first && first !== d.id ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Follows nodes/<self>/gateway_info: the ports placed on this node, and the scheduler's addresses of the others. */
export class GatewayInfoWatch {
  private info: NodeGatewayInfo | undefined;
  private readonly loop: WatchLoop;

  constructor(kv: SystemConfigClient, private readonly self: string, log?: Logger) {
    const key = nodeGatewayInfoKey(self);
    this.loop = kv.watchLoop(key, async (event) => {
      const change = event.changes.findLast((c) => c.key === key);
      const value = change && !event.resync ? change.value : (await kv.get(key))?.value ?? null;
      try {
        this.info = value ? (JSON.parse(value) as NodeGatewayInfo) : undefined;
      } catch {
        log?.warn('ignoring malformed gateway_info', { key });
      }
    }, { onError: () => {} });
  }

  /** Ports of instances the scheduler placed on this node. */
  localPorts(): Set<number> {
    const ports = new Set<number>();
    for (const s of Object.values(this.info?.service_info ?? {})) {
      const mine = s?.selector?.[this.self];
      if (mine && Number.isInteger(mine.port)) ports.add(mine.port);
    }
    for (const a of Object.values(this.info?.app_info ?? {})) {
      if (a && 'node_id' in a && a.node_id === this.self && Number.isInteger(a.port)) ports.add(a.port);
    }
    return ports;
  }

  /** Addresses of another node from its routes (http://<address>:<port>), primary first. */
  addressesOf(node: string): string[] {
    const routes = this.info?.routes?.[node] ?? [];
    const out: string[] = [];
    for (const r of [...routes.filter((x) => !x.backup), ...routes.filter((x) => x.backup)]) {
      if (Array.isArray(r.addresses)) out.push(...r.addresses.filter((a) => typeof a === 'string'));
      if (!/^https?:/i.test(r.url)) continue; // rtcp://<node>/ names the device, not an address
      try {
        out.push(new URL(r.url).hostname.replace(/^\[|\]$/g, ''));
      } catch { /* not a URL */ }
    }
    return [...new Set(out)];
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}

/** Device documents from KV (devices/<name>/doc), cached briefly; addresses from the routes and discovery. */
export class KvPeerDirectory implements PeerDirectory {
  private readonly cache = new Map<string, { rec: PeerRecord | undefined; at: number }>();
  private readonly hints = new Map<string, string[]>();

  constructor(private readonly o: { kv: SystemConfigClient; routes?: GatewayInfoWatch; relays: string[]; self: string; known?: Record<string, string>; ttlMs?: number }) {}

  /** A discovery result (LAN finder, a peer's source address). */
  hint(name: string, address: string) {
    const list = this.hints.get(name) ?? [];
    if (!list.includes(address)) this.hints.set(name, [address, ...list].slice(0, 8));
  }

  async lookup(target: string): Promise<PeerRecord | undefined> {
    const name = nodeNameOf(target);
    if (!name) return undefined;
    const hit = this.cache.get(name);
    let rec = hit && Date.now() - hit.at < (this.o.ttlMs ?? 10_000) ? hit.rec : undefined;
    if (!rec) {
      const docJwt = (await this.o.kv.get(deviceDocKey(name)).catch(() => null))?.value?.trim() ?? this.o.known?.[name];
      rec = docJwt ? { docJwt } : undefined;
      this.cache.set(name, { rec, at: Date.now() });
    }
    if (!rec) return undefined;
    return { docJwt: rec.docJwt, addresses: [...(this.hints.get(name) ?? []), ...(this.o.routes?.addressesOf(name) ?? [])] };
  }

  relays(target: VerifiedPeer): string[] {
    return this.o.relays.filter((r) => r !== target.name && r !== this.o.self);
  }
}

/** The id issue 11 revokes a device key under: sha256 of the raw public key, hex. */
export const revocationIdOf = (keyX: string) => createHash('sha256').update(Buffer.from(keyX, 'base64url')).digest('hex');

/** system/device_revocations/* followed through a KV watch. */
export class KvRevocationList implements RevocationList {
  private ids = new Set<string>();
  private readonly listeners: Array<() => void> = [];
  private readonly loop: WatchLoop;

  constructor(kv: SystemConfigClient, log?: Logger) {
    let warned = false;
    this.loop = kv.watchLoop(`${DEVICE_REVOCATIONS_DIR}/`, async () => {
      try {
        this.ids = new Set(await kv.list(DEVICE_REVOCATIONS_DIR));
        for (const l of this.listeners) l();
      } catch (e) {
        // The OOD out of reach: the list we have keeps applying and the next watch round reads it again;
        // the node's other parts already say the OOD is unreachable (once), so say nothing more here.
        if (isKrpcError(e, 'UNAVAILABLE') || isKrpcError(e, 'TIMEOUT')) return;
        if (!warned) log?.warn('cannot read the device revocation list; only the document checks apply', { error: (e as Error).message });
        warned = true;
      }
    }, { onError: () => {} });
  }

  /** A device key (sha256 of it) or the enrolment delegation that approved the device (its jti). */
  isRevoked(d: { keyX: string; delegationJti?: string }): boolean {
    return this.ids.has(revocationIdOf(d.keyX)) || (d.delegationJti !== undefined && this.ids.has(d.delegationJti));
  }

  onChange(listener: () => void) {
    this.listeners.push(listener);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
