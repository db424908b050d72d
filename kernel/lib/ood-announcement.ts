// The OOD's signed LAN announcement (issue 14, "network change"). The OOD says on NodeFinder (UDP 2980)
// where its gateway is: at start, when its addresses change, now and then, and in answer to a probe
// from a node of its zone. A joined node that cannot reach the OOD at its saved address probes, checks
// an answer against what it already trusts (the owner key from its enrolment, the zone boot config's
// OOD list) and only then moves its saved OOD address. The announcement is an EdDSA JWT signed by the
// OOD's device key and carries the OOD's owner-signed device document, so a node that never saw that
// document can still check the chain owner → OOD device key → announcement. Replays: a short lifetime,
// a nonce, an iat that must be newer than the last one accepted (persisted with the address), and the
// announced address must be the datagram's sender.
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { LookingForReq, LookingForResp } from '../api/devices.js';
import { verifyDeviceDocument } from './identity/device-chain.js';
import { decodeUnverified, signJwt, verifyJwt } from './identity/jwt.js';
import type { Ed25519PublicJwk } from './identity/keys.js';
import type { Logger } from './log.js';
import { lanInterfaces, openFinderSocket, RateLimit, sendDatagram, sendToLan } from './node-finder.js';

export const OOD_ANNOUNCEMENT_KIND = 'buckyos.ood_announcement.v1';
/** What a node probing for its OOD puts in LookingForReq.node_id. */
export const oodProbeId = (zoneDid: string) => `ood:${zoneDid}`;
/** How long an announcement is good for (s); a node also refuses one issued further from its clock. */
export const OOD_ANNOUNCEMENT_LIFETIME_S = 120;

export interface OodAnnouncement {
  kind: typeof OOD_ANNOUNCEMENT_KIND;
  zone: string;
  device: string;
  /** http://<address>:<gateway port>, the address being the interface the datagram leaves from. */
  gateway_url: string;
  addresses: string[];
  nonce: string;
  iat: number;
  exp: number;
  /** The OOD's owner-signed device document. */
  device_document: string;
}

export interface OodSigner {
  zoneDid: string;
  deviceName: string;
  privateKeyPem: string;
  deviceDocJwt: string;
}

export function signOodAnnouncement(s: OodSigner, address: string, gatewayPort: number, addresses: string[], nowS = Math.floor(Date.now() / 1000)): Promise<string> {
  const a: OodAnnouncement = {
    kind: OOD_ANNOUNCEMENT_KIND, zone: s.zoneDid, device: s.deviceName, gateway_url: `http://${address}:${gatewayPort}`, addresses,
    nonce: randomBytes(12).toString('base64url'), iat: nowS, exp: nowS + OOD_ANNOUNCEMENT_LIFETIME_S, device_document: s.deviceDocJwt,
  };
  return signJwt({ ...a }, s.privateKeyPem);
}

/** What a joined node trusts: its owner key, its zone, the OOD names of its zone boot config. */
export interface OodTrust {
  ownerPublicJwk: Ed25519PublicJwk;
  zoneDid: string;
  oods: string[];
  isRevoked?: (id: string) => boolean | Promise<boolean>;
}

/** Replay state: the newest iat accepted so far and the nonces seen within the lifetime window. */
export interface ReplayState {
  lastIat: number;
  nonces: Map<string, number>;
}

/** Checks an announcement heard from `source`; returns the OOD's gateway URL and iat, or why it was refused. */
export async function checkOodAnnouncement(jwt: unknown, source: string, trust: OodTrust, replay: ReplayState, nowS: number): Promise<{ url: string; iat: number; device: string } | string> {
  if (typeof jwt !== 'string' || jwt.length > 3900) return 'not a JWT';
  let a: Partial<OodAnnouncement>;
  try {
    a = decodeUnverified(jwt).payload;
  } catch {
    return 'not a JWT';
  }
  if (a.kind !== OOD_ANNOUNCEMENT_KIND) return 'not an OOD announcement';
  if (a.zone !== trust.zoneDid) return 'another zone';
  if (typeof a.device !== 'string' || !trust.oods.includes(a.device)) return 'not an OOD of this zone';
  if (typeof a.device_document !== 'string') return 'no device document';
  let key: Ed25519PublicJwk;
  try {
    const d = await verifyDeviceDocument(a.device_document, trust.ownerPublicJwk, { now: nowS, zoneDid: trust.zoneDid, isRevoked: trust.isRevoked });
    // An OOD is approved by the owner only, never under an enrolment delegation.
    if (d.approvedBy !== 'owner') return 'the OOD document is not owner-signed';
    if (d.doc.name !== a.device) return 'the device document names another device';
    key = d.key;
  } catch (e) {
    return `device document: ${(e as Error).message}`;
  }
  let claims: Partial<OodAnnouncement>;
  try {
    claims = (await verifyJwt(jwt, key, { now: nowS }));
  } catch {
    return 'not signed by the OOD device key';
  }
  if (claims.device_document !== a.device_document) return 'not signed by the OOD device key';
  if (typeof a.iat !== 'number' || typeof a.exp !== 'number' || a.exp - a.iat > OOD_ANNOUNCEMENT_LIFETIME_S) return 'lifetime';
  if (Math.abs(nowS - a.iat) > OOD_ANNOUNCEMENT_LIFETIME_S) return 'stale';
  if (a.iat < replay.lastIat) return 'older than the last announcement accepted';
  if (typeof a.nonce !== 'string' || a.nonce.length < 8 || a.nonce.length > 64) return 'no nonce';
  for (const [n, at] of replay.nonces) if (at < nowS - 2 * OOD_ANNOUNCEMENT_LIFETIME_S) replay.nonces.delete(n);
  if (replay.nonces.has(a.nonce)) return 'replayed';
  let url: URL;
  try {
    url = new URL(String(a.gateway_url));
  } catch {
    return 'gateway URL';
  }
  // The OOD must be where the datagram came from: an announcement cannot point a node elsewhere.
  if (url.protocol !== 'http:' || url.hostname !== source || url.pathname !== '/' || url.search || url.username || !url.port) return 'gateway URL is not the sender';
  if (!Array.isArray(a.addresses) || !a.addresses.includes(source)) return 'sender not among the addresses';
  if (replay.nonces.size > 1024) replay.nonces.clear();
  replay.nonces.set(a.nonce, nowS);
  replay.lastIat = a.iat;
  return { url: `http://${url.host}`, iat: a.iat, device: a.device };
}

// ---- the OOD side: answer probes, announce at start, on change, now and then --------------------------

export interface OodBeaconOptions {
  signer: OodSigner;
  /** The address the OOD's gateway binds (a wildcard: every interface) and its port. */
  host: string;
  gatewayPort: number;
  log: Logger;
  /** Re-announce this often (ms; default 30 s). */
  everyMs?: number;
  /** Look for address changes this often (ms; default 2 s). */
  watchMs?: number;
}

export interface OodBeacon {
  /** The finder socket's handler for probes (LookingForReq with node_id ood:<zone>). */
  onProbe(req: LookingForReq, from: RemoteInfo): void;
  announce(): Promise<void>;
  stop(): void;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';

export function startOodBeacon(socket: Socket, port: number, o: OodBeaconOptions): OodBeacon {
  const addresses = () => lanInterfaces().map((i) => i.address).filter((a) => isWildcard(o.host) || a === o.host);
  const probeId = oodProbeId(o.signer.zoneDid);
  // One answer per second per asker, 20 in all; announcements at most one per second.
  const limit = new RateLimit(1, 20);
  let lastAnnounce = 0;
  const announce = async () => {
    const now = Date.now();
    if (now - lastAnnounce < 1000) return;
    lastAnnounce = now;
    const all = addresses();
    for (const address of all)
      await sendToLan(socket, { seq: 0, resp: await signOodAnnouncement(o.signer, address, o.gatewayPort, all) } satisfies LookingForResp, port, address);
  };
  let known = addresses().sort().join(',');
  const watch = setInterval(() => {
    const now = addresses().sort().join(',');
    if (now === known) return;
    known = now;
    o.log.info('LAN addresses changed; announcing the OOD', { addresses: now });
    void announce().catch(() => {});
  }, o.watchMs ?? 2000);
  const every = setInterval(() => void announce().catch(() => {}), o.everyMs ?? 30_000);
  watch.unref();
  every.unref();
  void announce().catch((e) => o.log.debug('OOD announcement failed', { err: (e as Error).message }));
  return {
    announce,
    onProbe(req, from) {
      if (req.node_id !== probeId || !limit.take(from.address)) return;
      const all = addresses();
      const p = lanInterfaces().find((i) => all.includes(i.address) && sameSubnet(i.address, from.address, i.netmask));
      if (!p) return;
      void signOodAnnouncement(o.signer, p.address, o.gatewayPort, all)
        .then((resp) => sendDatagram(socket, { seq: req.seq, resp } satisfies LookingForResp, from.port, from.address)).catch(() => {});
    },
    stop() { clearInterval(watch); clearInterval(every); },
  };
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
const sameSubnet = (a: string, b: string, mask: string) => ((ipToInt(a) & ipToInt(mask)) >>> 0) === ((ipToInt(b) & ipToInt(mask)) >>> 0);

// ---- the node side: notice the OOD is gone, probe, check, move --------------------------------------

export interface OodSeekerOptions {
  port: number;
  trust: OodTrust;
  /** The OOD's gateway URL the node uses now. */
  currentUrl: string;
  /** The iat of the last announcement this node accepted (persisted with the URL). */
  lastIat: number;
  log: Logger;
  /** Check the OOD is reachable this often (ms; default 3 s); two failures in a row start probing. */
  checkEveryMs?: number;
  /** Also probe these addresses by unicast (tests). */
  probeTo?: string[];
  /** Called once with a verified new URL; the caller persists it and reconnects. */
  onMoved(url: string, iat: number): void;
}

export interface OodSeeker {
  stop(): Promise<void>;
}

const reachable = (url: string, timeoutMs: number) => new Promise<boolean>((resolve) => {
  const u = new URL(url);
  const s = createConnection({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), timeout: timeoutMs });
  const done = (ok: boolean) => { s.destroy(); resolve(ok); };
  s.once('connect', () => done(true));
  s.once('timeout', () => done(false));
  s.once('error', () => done(false));
});

export async function startOodSeeker(o: OodSeekerOptions): Promise<OodSeeker | undefined> {
  const replay: ReplayState = { lastIat: o.lastIat, nonces: new Map() };
  const limit = new RateLimit(5, 50);
  let failures = 0;
  let moved = false;
  let seq = 1;
  const socket = await openFinderSocket({
    port: o.port,
    log: o.log,
    onMessage: (msg, from) => {
      if (moved || failures < 2 || !limit.take(from.address)) return;
      const body = JSON.parse(msg.toString('utf8')) as Partial<LookingForResp>;
      if (typeof body !== 'object' || body === null || typeof body.resp !== 'string') return;
      void checkOodAnnouncement(body.resp, from.address, o.trust, replay, Math.floor(Date.now() / 1000)).then((r) => {
        if (typeof r === 'string') { o.log.debug('OOD announcement refused', { from: from.address, why: r }); return; }
        if (moved || r.url === o.currentUrl) return;
        moved = true;
        o.log.warn('the OOD moved; switching to its new address', { from: o.currentUrl, to: r.url, ood: r.device });
        o.onMoved(r.url, r.iat);
      });
    },
  });
  if (!socket) return undefined;
  let busy = false;
  const tick = async () => {
    if (busy || moved) return;
    busy = true;
    try {
      if (await reachable(o.currentUrl, 2000)) { failures = 0; return; }
      if (++failures === 2) o.log.warn('the OOD is unreachable at its saved address; looking for it on the LAN', { ood: o.currentUrl });
      if (failures < 2) return;
      const probe: LookingForReq = { node_id: oodProbeId(o.trust.zoneDid), seq: seq++ };
      await sendToLan(socket, probe, o.port);
      for (const t of o.probeTo ?? []) await sendDatagram(socket, probe, o.port, t);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick().catch(() => {}), o.checkEveryMs ?? 3000);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
