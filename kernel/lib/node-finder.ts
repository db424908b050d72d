// NodeFinder on UDP 2980 (spec 50 §4.3; issue 11): an unjoined or unactivated device answers probes
// (LookingForReq) and announces itself when it starts, with a LookingForResp whose `resp` is a JWT it
// signed with its own device key (DeviceAnnouncement). It sends to every IPv4 interface's broadcast
// address and to an IPv4 multicast group. The OOD's finder probes the same way and keeps what it hears,
// bounded and validated: an answer proves only that its sender holds the announced key; nothing is
// trusted until the owner approves the device and its key matches the fingerprint the owner expects.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import {
  NODE_FINDER_MAX_DATAGRAM, NODE_FINDER_MULTICAST_GROUP, type DeviceAnnouncement, type DiscoveredDevice, type LookingForReq, type LookingForResp,
} from '../api/devices.js';
import { keyFingerprint } from './identity/fingerprint.js';
import { decodeUnverified, verifyJwt } from './identity/jwt.js';
import { isEd25519PublicJwk } from './identity/keys.js';
import type { Logger } from './log.js';

export interface LanInterface {
  address: string;
  broadcast: string;
  netmask: string;
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
const intToIp = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** Every non-internal IPv4 interface with its broadcast address. */
export function lanInterfaces(): LanInterface[] {
  return Object.values(networkInterfaces()).flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => {
      const ip = ipToInt(a.address);
      const mask = ipToInt(a.netmask);
      return { address: a.address, netmask: a.netmask, broadcast: intToIp((ip & mask) | (~mask >>> 0)) };
    });
}

/** The local address on the same subnet as `peer` (the one the peer can reach us at), else the first. */
export function localAddressFor(peer: string, interfaces = lanInterfaces()): string | undefined {
  const p = ipToInt(peer);
  return (interfaces.find((i) => (ipToInt(i.address) & ipToInt(i.netmask)) === (p & ipToInt(i.netmask))) ?? interfaces[0])?.address;
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::';
const isLoopback = (host: string) => /^127\./.test(host);

interface UdpSocketOptions {
  port: number;
  log: Logger;
  onMessage(msg: Buffer, from: RemoteInfo): void;
}

/** A UDP socket on 0.0.0.0:<port> (shared with other listeners, receiving broadcasts) in the multicast group. */
export async function openFinderSocket(o: UdpSocketOptions): Promise<Socket | undefined> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (msg, from) => {
    if (msg.length > NODE_FINDER_MAX_DATAGRAM) return;
    try {
      o.onMessage(msg, from);
    } catch (e) {
      o.log.debug('node finder: datagram dropped', { from: from.address, err: (e as Error).message });
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.port, '0.0.0.0', () => { socket.off('error', reject); resolve(); });
    });
  } catch (e) {
    o.log.warn('LAN discovery is off: cannot listen on UDP', { port: o.port, err: (e as Error).message });
    socket.close();
    return undefined;
  }
  socket.on('error', (e) => o.log.warn('node finder socket error', { err: e.message }));
  socket.setBroadcast(true);
  socket.setMulticastTTL(1);
  for (const i of lanInterfaces()) {
    try { socket.addMembership(NODE_FINDER_MULTICAST_GROUP, i.address); } catch { /* an interface without multicast */ }
  }
  return socket;
}

export const sendDatagram = (socket: Socket, body: object, port: number, address: string) =>
  new Promise<void>((resolve) => socket.send(Buffer.from(JSON.stringify(body)), port, address, () => resolve()));

/** Sends `body` to every interface's broadcast address and, through each interface, to the multicast group. */
export async function sendToLan(socket: Socket, body: object, port: number, only?: string): Promise<void> {
  for (const i of lanInterfaces()) {
    if (only && i.address !== only) continue;
    await sendDatagram(socket, body, port, i.broadcast);
    try {
      socket.setMulticastInterface(i.address);
      await sendDatagram(socket, body, port, NODE_FINDER_MULTICAST_GROUP);
    } catch { /* no multicast on this interface */ }
  }
}

/** A token bucket per key and one overall: at most `perKey` per second from one sender, `total` in all. */
export class RateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private all: { tokens: number; at: number };
  constructor(private readonly perKey: number, private readonly total: number, private readonly now = () => Date.now()) {
    this.all = { tokens: total, at: now() };
  }
  take(key: string): boolean {
    const t = this.now();
    const refill = (b: { tokens: number; at: number }, rate: number) => { b.tokens = Math.min(rate, b.tokens + ((t - b.at) / 1000) * rate); b.at = t; };
    refill(this.all, this.total);
    if (this.buckets.size > 4096) this.buckets.clear();
    const b = this.buckets.get(key) ?? { tokens: this.perKey, at: t };
    refill(b, this.perKey);
    this.buckets.set(key, b);
    if (b.tokens < 1 || this.all.tokens < 1) return false;
    b.tokens -= 1;
    this.all.tokens -= 1;
    return true;
  }
}

// ---- the device side ------------------------------------------------------------------------------

export interface NodeFinderResponderOptions {
  port: number;
  /** The address the device's enrolment server binds (a wildcard: answer with the interface facing the peer). */
  host: string;
  fingerprint: string;
  /** The announcement JWT telling a peer to reach us at `address`. */
  announcement(address: string): Promise<string>;
  log: Logger;
  /** Also announce to these addresses by unicast (tests on loopback, where there is no broadcast). */
  announceTo?: string[];
  /** Re-announce this often while waiting (ms); default 60 s. */
  announceEveryMs?: number;
}

export interface NodeFinderResponder {
  announce(): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeFinderResponder(o: NodeFinderResponderOptions): Promise<NodeFinderResponder | undefined> {
  // One answer per second per asking address, 20 in all: a flood of probes costs us little and
  // cannot turn us into an amplifier.
  const limit = new RateLimit(1, 20);
  const addressFor = (peer: string) => (isWildcard(o.host) ? localAddressFor(peer) : o.host);
  const socket = await openFinderSocket({
    port: o.port,
    log: o.log,
    onMessage: (msg, from) => {
      const req = JSON.parse(msg.toString('utf8')) as Partial<LookingForReq>;
      if (typeof req !== 'object' || req === null || 'resp' in req) return;
      if (!Number.isSafeInteger(req.seq) || (req.seq as number) < 1 || typeof req.node_id !== 'string') return;
      if (req.node_id !== '*' && req.node_id !== o.fingerprint) return;
      if (!limit.take(from.address)) return;
      const address = addressFor(from.address);
      if (!address) return;
      void o.announcement(address).then((resp) => sendDatagram(socket!, { seq: req.seq as number, resp } satisfies LookingForResp, from.port, from.address));
    },
  });
  if (!socket) return undefined;

  const announce = async () => {
    const targets: Array<{ address: string; to?: string }> = isWildcard(o.host)
      ? lanInterfaces().map((i) => ({ address: i.address }))
      : isLoopback(o.host) ? [] : [{ address: o.host }];
    for (const t of targets) await sendToLan(socket, { seq: 0, resp: await o.announcement(t.address) } satisfies LookingForResp, o.port, t.address);
    for (const to of o.announceTo ?? []) {
      const address = addressFor(to) ?? o.host;
      await sendDatagram(socket, { seq: 0, resp: await o.announcement(address) } satisfies LookingForResp, o.port, to);
    }
  };
  // Announce at start, again after 2 s and 6 s (a finder that started with us), then now and then.
  const timers = [setTimeout(() => void announce().catch(() => {}), 2000), setTimeout(() => void announce().catch(() => {}), 6000)];
  const every = setInterval(() => void announce().catch(() => {}), o.announceEveryMs ?? 60_000);
  for (const t of [...timers, every]) t.unref();
  await announce().catch((e) => o.log.debug('announce failed', { err: (e as Error).message }));
  o.log.info('answering LAN discovery', { udp: o.port, fingerprint: o.fingerprint });
  return {
    announce,
    stop: async () => {
      for (const t of timers) clearTimeout(t);
      clearInterval(every);
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

// ---- the OOD side ---------------------------------------------------------------------------------

const MAX_ENTRIES = 64;
const MAX_PER_SOURCE = 4;
const ENTRY_TTL_MS = 5 * 60_000;
const MAX_ANNOUNCEMENT_LIFETIME_S = 3600;
const TEXT = (v: unknown, max: number) => typeof v === 'string' && v.length > 0 && v.length <= max && !/[\u0000-\u001f]/.test(v);

/** Checks an announcement from `source`; returns the device it describes or a reason to drop it. */
export async function checkAnnouncement(jwt: unknown, source: string, nowMs: number): Promise<Omit<DiscoveredDevice, 'first_seen' | 'last_seen'> | string> {
  if (typeof jwt !== 'string' || jwt.length > 3000) return 'not a JWT';
  let a: Partial<DeviceAnnouncement>;
  try {
    a = decodeUnverified(jwt).payload;
  } catch {
    return 'not a JWT';
  }
  if (!isEd25519PublicJwk(a.device_public_key)) return 'no device key';
  try {
    await verifyJwt(jwt, a.device_public_key, { now: Math.floor(nowMs / 1000) });
  } catch {
    return 'not signed by the key it announces';
  }
  if (a.fingerprint !== keyFingerprint(a.device_public_key)) return 'fingerprint does not match the key';
  if (typeof a.iat !== 'number' || typeof a.exp !== 'number' || a.exp - a.iat > MAX_ANNOUNCEMENT_LIFETIME_S) return 'lifetime';
  if (a.state !== 'unjoined' && a.state !== 'unactivated') return 'state';
  if (!TEXT(a.name, 64) || !TEXT(a.device_type, 32) || !TEXT(a.arch, 32) || !TEXT(a.os, 32) || !TEXT(a.join_url, 128)) return 'fields';
  let url: URL;
  try {
    url = new URL(a.join_url!);
  } catch {
    return 'join URL';
  }
  // The device must be where the datagram came from: an announcement cannot point the owner elsewhere.
  if (!/^https?:$/.test(url.protocol) || url.hostname !== source || url.pathname !== '/' || url.search || url.username) return 'join URL is not the sender';
  return {
    fingerprint: a.fingerprint, name: a.name!, device_type: a.device_type!, arch: a.arch!, os: a.os!, state: a.state,
    address: source, join_url: `${url.protocol}//${url.host}`, device_public_key: { kty: 'OKP', crv: 'Ed25519', x: a.device_public_key.x },
  };
}

export interface NodeFinderOptions {
  port: number;
  log: Logger;
  /** Also probe these addresses by unicast (a static peer table; tests on loopback). */
  targets?: string[];
}

/** The OOD's finder: listens for announcements and answers, probes on demand, keeps a bounded table. */
export class NodeFinder {
  private readonly found = new Map<string, DiscoveredDevice>();
  private readonly limit = new RateLimit(10, 200);
  private seq = 1;
  private dropped = 0;

  private constructor(private readonly o: NodeFinderOptions, private socket?: Socket) {}

  static async start(o: NodeFinderOptions): Promise<NodeFinder> {
    const finder = new NodeFinder(o);
    finder.socket = await openFinderSocket({ port: o.port, log: o.log, onMessage: (msg, from) => finder.onMessage(msg, from) });
    return finder;
  }

  private probeHandler?: (req: LookingForReq, from: RemoteInfo) => void;

  /** Lets `attach` answer probes on this finder's socket (the OOD's beacon); no-op when not listening. */
  attach<T extends { onProbe(req: LookingForReq, from: RemoteInfo): void }>(make: (socket: Socket, port: number) => T): T | undefined {
    if (!this.socket) return undefined;
    const t = make(this.socket, this.o.port);
    this.probeHandler = (req, from) => t.onProbe(req, from);
    return t;
  }

  get listening(): boolean {
    return this.socket !== undefined;
  }

  /** Datagrams dropped as malformed, unsigned, mismatched or over the rate limit. */
  get droppedCount(): number {
    return this.dropped;
  }

  private onMessage(msg: Buffer, from: RemoteInfo): void {
    // Rate-limit before the signature check, which is what costs.
    if (!this.limit.take(from.address)) { this.dropped++; return; }
    const body = JSON.parse(msg.toString('utf8')) as Partial<LookingForResp> & Partial<LookingForReq>;
    if (typeof body !== 'object' || body === null || !Number.isSafeInteger(body.seq)) return;
    // A node of this zone looking for its OOD (issue 14): the OOD's beacon answers.
    if (body.resp === undefined && typeof body.node_id === 'string') { this.probeHandler?.(body as LookingForReq, from); return; }
    if (typeof body.resp !== 'string') return;
    const now = Date.now();
    void checkAnnouncement(body.resp, from.address, now).then((d) => {
      if (typeof d === 'string') { this.dropped++; this.o.log.debug('node finder: announcement dropped', { from: from.address, why: d }); return; }
      this.keep(d, now);
    });
  }

  private keep(d: Omit<DiscoveredDevice, 'first_seen' | 'last_seen'>, now: number): void {
    this.expire(now);
    const known = this.found.get(d.fingerprint);
    if (!known) {
      // Bounded: a few devices per address, a table of MAX_ENTRIES; a flood evicts only the flooder's own.
      const fromSource = [...this.found.values()].filter((e) => e.address === d.address).sort((a, b) => a.last_seen - b.last_seen);
      if (fromSource.length >= MAX_PER_SOURCE) this.found.delete(fromSource[0].fingerprint);
      if (this.found.size >= MAX_ENTRIES) { this.dropped++; return; }
    }
    this.found.set(d.fingerprint, { ...d, first_seen: known?.first_seen ?? now, last_seen: now });
  }

  private expire(now: number): void {
    for (const [k, e] of this.found) if (now - e.last_seen > ENTRY_TTL_MS) this.found.delete(k);
  }

  /** What was heard in the last five minutes, newest first. */
  list(sinceMs = 0): DiscoveredDevice[] {
    this.expire(Date.now());
    return [...this.found.values()].filter((e) => e.last_seen >= sinceMs).sort((a, b) => b.last_seen - a.last_seen);
  }

  /** Forgets a device (it joined). */
  forget(fingerprint: string): void {
    this.found.delete(fingerprint);
  }

  /** Probes the LAN and waits `waitMs` for answers; returns the devices that answered or announced meanwhile. */
  async scan(waitMs: number): Promise<DiscoveredDevice[]> {
    const started = Date.now();
    if (!this.socket) return this.list(started);
    const probe: LookingForReq = { node_id: '*', seq: this.seq++ };
    await sendToLan(this.socket, probe, this.o.port);
    for (const t of this.o.targets ?? []) await sendDatagram(this.socket, probe, this.o.port, t);
    // A second probe halfway, for a datagram lost on a busy LAN.
    await new Promise((r) => setTimeout(r, waitMs / 2));
    await sendToLan(this.socket, { ...probe, seq: this.seq++ }, this.o.port);
    await new Promise((r) => setTimeout(r, waitMs / 2));
    return this.list(started);
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
