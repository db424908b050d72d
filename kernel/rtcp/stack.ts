// The rtcp stack of one device: the :2980 listener (v4 responder), the tunnel manager (v4 initiator,
// address racing, relays, reconnect with backoff) and the connector the gateway uses:
//   stack.openStream(device, port) → a Duplex to <port> on that device's own loopback.
// Handshake per rtcp.md §3: Hello (signed token + owner-signed device document) → HelloAck (signed ack
// bound to the initiator's ephemeral key) → AEAD HelloAckConfirm → AEAD TunnelResult.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { CONTROL_BUDGET, deriveSessionSecrets, freshEphemeral, recordPair, x25519Shared, type RecordOpener, type RecordSealer } from './crypto.js';
import { encodePacket, PacketReader, type ControlPacket, type FirstPacket, type HelloBody } from './packet.js';
import { RtcpError, isRtcpError } from './errors.js';
import { ACK_AUD, decodeTokenUnverified, HELLO_AUD, JWT_LEEWAY_S, signToken, TOKEN_LIFETIME_S, verifyAckToken, verifyHelloToken } from './token.js';
import { canonicalDidOf, hostOf, noRevocations, verifyPeerDocument, type LocalIdentity, type PeerDirectory, type RevocationList, type VerifiedPeer } from './trust.js';
import { DEFAULT_LIVENESS, DEFAULT_TUNNEL_LIMITS, RtcpTunnel, type Liveness, type TunnelHost, type TunnelLimits } from './tunnel.js';
import { DEFAULT_RTCP_PORT, parseRtcpUrl } from './url.js';
import { OpenResult } from './packet.js';
import type { Logger } from '../lib/log.js';

export interface StackLimits extends TunnelLimits {
  maxPendingHandshakes: number;
  handshakeRequestsPerSecond: number;
  handshakeRequestBurst: number;
  handshakeTimeoutMs: number;
}
/** Upstream's defaults (rtcp.md §9). */
export const DEFAULT_LIMITS: StackLimits = {
  ...DEFAULT_TUNNEL_LIMITS, maxPendingHandshakes: 256, handshakeRequestsPerSecond: 16, handshakeRequestBurst: 32, handshakeTimeoutMs: 15_000,
};

export interface RtcpStackOptions {
  identity: LocalIdentity;
  directory: PeerDirectory;
  revocations?: RevocationList;
  /** Where this device's services listen; inbound streams go to <localHost>:<port>. */
  localHost: string;
  /** Where a stream to a local port goes when that is not `localHost` (a gateway bound to the node's address). */
  hostFor?(port: number): string;
  /** Which local ports peers may open (the rtcp port itself is always allowed, for relaying). */
  exposes(port: number, peer: VerifiedPeer): boolean;
  /** Listen address; omit to dial out only. */
  listen?: { host: string; port: number };
  /** Our rtcp port as peers should dial it (Hello.my_port); default the listen port or 2980. */
  rtcpPort?: number;
  /** Act as a relay for zone devices (carry a stream to another device's rtcp port). */
  relay?: boolean;
  /** Sees every byte a relay carries, both directions (tests record it to prove it is ciphertext). */
  relayTap?: (dir: 'in' | 'out', chunk: Buffer) => void;
  liveness?: Partial<Liveness>;
  limits?: Partial<StackLimits>;
  /** While a device is reached through a relay, retry the direct path this often. */
  directRetryMs?: number;
  /** TCP connect timeout per candidate address. */
  connectTimeoutMs?: number;
  log?: Logger;
}

interface PeerState {
  /** The tunnel new streams use: direct when there is one, else the fallback through a relay. */
  tunnel?: RtcpTunnel;
  /** Tunnels through a relay kept beside a direct one (an explicit relay URL, or one the peer dialled), as upstream keys them apart. */
  relayed: Map<string, RtcpTunnel>;
  connecting?: Promise<RtcpTunnel>;
  lastGood?: string;
  hints: string[];
  failures: number;
  nextDirectAt: number;
  directTimer?: NodeJS.Timeout;
}

export interface TunnelStatus {
  device: string;
  canonicalDid: string;
  via?: string;
  remote?: string;
  direction: 'out' | 'in';
  rttMs?: number;
  streams: number;
}

const nowS = () => Math.floor(Date.now() / 1000);
const STAGGER_MS = 250;

export class RtcpStack {
  private readonly o: RtcpStackOptions;
  private readonly limits: StackLimits;
  private readonly liveness: Liveness;
  private readonly revocations: RevocationList;
  private readonly myHost: string;
  private readonly myCanonical: string;
  private readonly myPort: number;
  private server: net.Server | undefined;
  private readonly peers = new Map<string, PeerState>(); // by canonical did
  private readonly names = new Map<string, string>(); // name / did / host → canonical did
  private readonly legWaiters = new Map<string, { resolve: (v: { sock: Duplex; leftover: Buffer }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly nonces = new Map<string, number>();
  private readonly handshakeRates = new Map<string, { tokens: number; at: number }>();
  private pendingHandshakes = 0;
  private readonly sockets = new Set<Duplex>();
  private stopped = false;
  private readonly host: TunnelHost;

  constructor(o: RtcpStackOptions) {
    this.o = o;
    this.limits = { ...DEFAULT_LIMITS, ...o.limits };
    this.liveness = { ...DEFAULT_LIVENESS, ...o.liveness };
    this.revocations = o.revocations ?? noRevocations;
    this.myHost = hostOf(o.identity.deviceDid);
    this.myCanonical = canonicalDidOf(o.identity.publicJwk);
    this.myPort = o.rtcpPort ?? o.listen?.port ?? DEFAULT_RTCP_PORT;
    this.revocations.onChange?.(() => this.closeRevoked());
    this.host = {
      authorize: (peer, host, port) => this.authorize(peer, host, port),
      deliver: (peer, stream, host, port) => this.deliver(peer, stream, host, port),
      waitLeg: (id, ms) => this.waitLeg(id, ms),
      onClose: (t, reason) => this.onTunnelClosed(t, reason),
      log: (level, msg, data) => this.o.log?.[level](msg, data),
    };
  }

  get port(): number {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : this.myPort;
  }

  async start(): Promise<void> {
    if (!this.o.listen) return;
    const server = net.createServer({ allowHalfOpen: true }, (sock) => {
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 30_000);
      this.acceptConnection(sock, `${sock.remoteAddress}:${sock.remotePort}`);
    });
    server.on('error', (e) => this.o.log?.warn('rtcp listener error', { error: e.message }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.listen!.port, this.o.listen!.host, () => { server.off('error', reject); resolve(); });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.peers.values()) {
      clearTimeout(s.directTimer);
      s.tunnel?.close('stack stopped');
      for (const r of s.relayed.values()) r.close('stack stopped');
    }
    for (const w of this.legWaiters.values()) { clearTimeout(w.timer); w.reject(new RtcpError('CLOSED', 'stack stopped')); }
    this.legWaiters.clear();
    for (const s of this.sockets) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }

  status(): TunnelStatus[] {
    const out: TunnelStatus[] = [];
    for (const [canonical, s] of this.peers) {
      const t = s.tunnel;
      if (!t || t.closed) continue;
      out.push({ device: t.peer.name, canonicalDid: canonical, ...(t.via && { via: t.via }), ...(t.remote && { remote: t.remote }), direction: t.canDirect ? 'out' : 'in', ...(t.lastRttMs !== undefined && { rttMs: t.lastRttMs }), streams: t.streamIdsUsed });
    }
    return out;
  }

  /**
   * Keeps a tunnel to `device` up (upstream's keep_tunnel: a node behind NAT keeps one to its OODs so
   * they can reach it): reconnects when it drops, backing off 1 s, 2 s, 4 s … 30 s while it fails.
   */
  keepTunnel(device: string) {
    if (this.kept.has(device)) return;
    this.kept.add(device);
    let failures = 0;
    const attempt = () => {
      if (this.stopped) return;
      this.tunnelTo(device).then((t) => {
        failures = 0;
        const again = () => { if (!this.stopped) setTimeout(attempt, 200).unref(); };
        if (t.closed) again();
        else this.closeWatchers.set(t, again);
      }, (e: Error) => {
        failures += 1;
        const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures - 1, 5));
        if (failures === 1 || failures % 10 === 0) this.o.log?.warn('rtcp keep-tunnel: cannot reach device, retrying', { device, inMs: delay, error: e.message });
        setTimeout(attempt, delay).unref();
      });
    };
    attempt();
  }
  private readonly kept = new Set<string>();
  private readonly closeWatchers = new Map<RtcpTunnel, () => void>();

  /** A discovery result: try this address for the device too. */
  addHint(device: string, address: string) {
    const key = this.names.get(device);
    if (!key) { this.pendingHints.set(device, [...(this.pendingHints.get(device) ?? []), address]); return; }
    const s = this.peers.get(key)!;
    if (!s.hints.includes(address)) s.hints.unshift(address);
  }
  private readonly pendingHints = new Map<string, string[]>();

  // ===========================================================================================
  // connector

  /**
   * A stream to `port` on `target`'s own loopback. `target` is a device name, DID or hostname, or a
   * full rtcp URL (rtcp://<device>/:<port>, rtcp://<encoded relay>@<device>/:<port>).
   */
  async openStream(target: string, port?: number, opts: { host?: string | null; directOnly?: boolean } = {}): Promise<Duplex> {
    let device = target;
    let via: string | undefined;
    let host = opts.host ?? null;
    if (target.startsWith('rtcp://')) {
      const u = parseRtcpUrl(target);
      device = u.device;
      if (u.bootstrap) via = parseRtcpUrl(u.bootstrap).device;
      if (u.dest) { port ??= u.dest.port; host = u.dest.host; }
    }
    if (port === undefined) throw new RtcpError('INVALID_DATA', 'no stream port given');
    for (let attempt = 0; ; attempt++) {
      const tunnel = via ? await this.relayedTunnel(device, via) : await this.tunnelTo(device, { directOnly: opts.directOnly });
      try {
        return await tunnel.openStream(port, host);
      } catch (e) {
        const code = (e as { result?: number }).result;
        // Quota and rate limits are the peer's backpressure: wait a little and ask again.
        if ((code === OpenResult.QUOTA || code === OpenResult.RATE_LIMITED) && attempt < 50) { await sleep(50 + attempt * 20); continue; }
        if (isRtcpError(e, 'UNREACHABLE') || isRtcpError(e, 'CLOSED') || code === OpenResult.RECONNECT_FAILED) {
          // A stream that cannot be built says something about the tunnel: check it now, not in 30 s.
          if (!tunnel.closed) await tunnel.probe().catch(() => {});
          if (tunnel.closed && attempt < 2) continue;
        }
        throw e;
      }
    }
  }

  /** The live tunnel to a device, or a new one: direct addresses raced, then relays. */
  async tunnelTo(device: string, opts: { directOnly?: boolean } = {}): Promise<RtcpTunnel> {
    if (this.stopped) throw new RtcpError('CLOSED', 'rtcp stack stopped');
    const peer = await this.resolve(device);
    const s = this.state(peer);
    if (s.tunnel && !s.tunnel.closed && (!opts.directOnly || !s.tunnel.via)) return s.tunnel;
    if (s.connecting) {
      const t = await s.connecting.catch(() => undefined);
      if (t && !t.closed && (!opts.directOnly || !t.via)) return t;
    }
    const p = this.connect(peer, s, opts.directOnly ?? false);
    s.connecting = p;
    try {
      return await p;
    } finally {
      if (s.connecting === p) s.connecting = undefined;
    }
  }

  private async connect(peer: VerifiedPeer, s: PeerState, directOnly: boolean): Promise<RtcpTunnel> {
    const errors: string[] = [];
    const relays = directOnly ? [] : (this.o.directory.relays?.(peer) ?? []).filter((r) => r !== peer.name && r !== this.o.identity.deviceName);
    if (Date.now() >= s.nextDirectAt || relays.length === 0) {
      try {
        const t = await this.dialDirect(peer, s);
        s.failures = 0;
        s.nextDirectAt = 0;
        return t;
      } catch (e) {
        s.failures += 1;
        // reconnect backoff: 1 s, 2 s, 4 s … 30 s before the direct path is tried again
        s.nextDirectAt = Date.now() + Math.min(30_000, 1000 * 2 ** Math.min(s.failures - 1, 5));
        errors.push((e as Error).message);
        if (directOnly) throw new RtcpError('UNREACHABLE', `no direct path to ${peer.name}: ${errors.join('; ')}`);
      }
    }
    for (const relay of relays) {
      try {
        return await this.relayedTunnel(peer.name, relay);
      } catch (e) {
        errors.push(`via ${relay}: ${(e as Error).message}`);
      }
    }
    throw new RtcpError('UNREACHABLE', `no path to ${peer.name}${errors.length ? `: ${errors.join('; ')}` : ' (no address known)'}`);
  }

  private candidates(peer: VerifiedPeer, s: PeerState): string[] {
    const list = [...(s.lastGood ? [s.lastGood] : []), ...peer.addresses, ...s.hints];
    return [...new Set(list)];
  }

  /** Happy-eyeballs over the candidates (250 ms stagger); the first TCP connect that completes carries the handshake. */
  private async raceConnect(addresses: string[], port: number): Promise<{ sock: net.Socket; address: string }> {
    if (addresses.length === 0) throw new RtcpError('UNREACHABLE', 'no address known');
    const timeout = this.o.connectTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      let done = false;
      let left = addresses.length;
      const errs: string[] = [];
      const socks: net.Socket[] = [];
      const timers: NodeJS.Timeout[] = [];
      addresses.forEach((address, i) => {
        timers.push(setTimeout(() => {
          if (done) return;
          const sock = net.connect({ host: address, port, allowHalfOpen: true });
          socks.push(sock);
          const t = setTimeout(() => sock.destroy(new Error('connect timed out')), timeout);
          sock.once('connect', () => {
            clearTimeout(t);
            if (done) { sock.destroy(); return; }
            done = true;
            timers.forEach(clearTimeout);
            for (const other of socks) if (other !== sock) other.destroy();
            sock.setKeepAlive(true, 30_000);
            sock.setNoDelay(true);
            resolve({ sock, address });
          });
          sock.once('error', (e) => {
            clearTimeout(t);
            errs.push(`${address}:${port} ${e.message}`);
            if (--left === 0 && !done) { done = true; reject(new RtcpError('UNREACHABLE', errs.join('; '))); }
          });
        }, i * STAGGER_MS));
      });
    });
  }

  private async dialDirect(peer: VerifiedPeer, s: PeerState): Promise<RtcpTunnel> {
    const { sock, address } = await this.raceConnect(this.candidates(peer, s), peer.rtcpPort);
    this.track(sock);
    const tunnel = await this.initiate(peer, sock, {
      remote: `${address}:${peer.rtcpPort}`,
      dialLeg: async () => {
        // every leg may re-race, the last good address first
        const { sock: leg, address: a } = await this.raceConnect(this.candidates(peer, s), peer.rtcpPort);
        s.lastGood = a;
        return this.track(leg);
      },
    });
    s.lastGood = address;
    this.publish(tunnel);
    return tunnel;
  }

  /** A tunnel to `device` whose bearing stream is carried by `relay` (rtcp://<relay>/<device host>:<port>). */
  private async relayedTunnel(device: string, relay: string): Promise<RtcpTunnel> {
    const peer = await this.resolve(device);
    const s = this.state(peer);
    if (s.tunnel && !s.tunnel.closed && s.tunnel.via === relay) return s.tunnel;
    const kept = s.relayed.get(relay);
    if (kept && !kept.closed) return kept;
    const relayPeer = await this.resolve(relay);
    const bearing = () => this.openStream(relayPeer.name, peer.rtcpPort, { host: peer.host, directOnly: true });
    const sock = await bearing();
    const tunnel = await this.initiate(peer, sock, { via: relayPeer.name, remote: `via ${relayPeer.name}`, dialLeg: bearing });
    this.publish(tunnel);
    this.scheduleDirectRetry(peer, s);
    return tunnel;
  }

  /** While reached through a relay, keep trying the direct path; once it works, new streams go direct. */
  private scheduleDirectRetry(peer: VerifiedPeer, s: PeerState) {
    clearTimeout(s.directTimer);
    const every = this.o.directRetryMs ?? 30_000;
    s.directTimer = setTimeout(() => {
      if (this.stopped || !s.tunnel?.via || s.tunnel.closed) return;
      // fresh addresses: the directory may have learnt a new one since
      this.resolve(peer.name).then((p) => this.dialDirect(p, s)).then(() => this.o.log?.info('rtcp direct path is back', { device: peer.name }), () => this.scheduleDirectRetry(peer, s));
    }, every);
    s.directTimer.unref();
  }

  // ===========================================================================================
  // initiator (rtcp.md §3.3, rtcp.rs create_direct_tunnel_attempt / initiator_complete_handshake)

  private async initiate(peer: VerifiedPeer, sock: Duplex, o: { via?: string; remote?: string; dialLeg: () => Promise<Duplex> }): Promise<RtcpTunnel> {
    const id = this.o.identity;
    this.checkAdmissible(peer);
    const ch = new HandshakeChannel(sock, false);
    try {
      const eph = freshEphemeral();
      const nonce = randomBytes(16).toString('hex');
      const iat = nowS();
      const token = signToken({ aud: HELLO_AUD, to: peer.host, canonical_to: peer.canonicalDid, from: this.myHost, listen_port: this.myPort, xpub: eph.publicHex, iat, exp: iat + TOKEN_LIFETIME_S, nonce }, id.privateKeyPem);
      const hello: HelloBody = { from_id: id.deviceDid, to_id: peer.did, my_port: this.myPort, tunnel_token: token, device_doc_jwt: id.deviceDocJwt };
      ch.send({ cmd: 'Hello', seq: 0, body: hello });
      const ack = await ch.next(this.limits.handshakeTimeoutMs);
      if (ack.cmd !== 'HelloAck') throw new RtcpError('UNAUTHENTICATED', `expected HelloAck, got ${ack.cmd}`);
      if (ack.body.responder_id !== peer.host) throw new RtcpError('UNAUTHENTICATED', `HelloAck responder_id ${ack.body.responder_id} is not ${peer.host}`);
      const claims = verifyAckToken(ack.body.ack_token, peer.jwk, nowS());
      if (claims.from !== peer.host || claims.to !== this.myHost) throw new RtcpError('UNAUTHENTICATED', 'ack token names other devices');
      if (claims.peer_xpub !== eph.publicHex) throw new RtcpError('UNAUTHENTICATED', "ack token peer_xpub is not this handshake's key (replay/splice)");
      const { key, iv } = deriveSessionSecrets(x25519Shared(eph.privateKey, claims.xpub), {
        initiatorDid: this.myHost, responderDid: peer.host, initiatorCanonicalDid: this.myCanonical, responderCanonicalDid: peer.canonicalDid,
        initiatorXpubHex: eph.publicHex, responderXpubHex: claims.xpub.toLowerCase(), initiatorNonceHex: nonce, responderNonceHex: claims.nonce,
      });
      ch.encrypt(key, iv, 'initiator');
      ch.send({ cmd: 'HelloAckConfirm', seq: ack.seq, body: { challenge_echo: ack.body.challenge } });
      const result = await ch.next(this.limits.handshakeTimeoutMs);
      if (result.cmd !== 'TunnelResult' || result.seq !== ack.seq) throw new RtcpError('UNAUTHENTICATED', 'expected the TunnelResult of this handshake');
      if (!result.body.accepted) throw new RtcpError('REFUSED', `${peer.name} refused the tunnel: ${result.body.reason ?? 'no reason given'}`);
      const { sealer, opener, leftover } = ch.release();
      return new RtcpTunnel({ sock, sealer, opener, leftover, key, role: 'initiator', peer, dialLeg: o.dialLeg, via: o.via, remote: o.remote, host: this.host, liveness: this.liveness, limits: this.limits });
    } catch (e) {
      ch.release();
      sock.destroy();
      throw e;
    }
  }

  // ===========================================================================================
  // responder (rtcp.md §3.3–3.4, rtcp.rs on_new_tunnel)

  /** A connection to our listener, from the network or carried in-process by a relay stream. */
  acceptConnection(sock: Duplex, remote: string) {
    if (this.stopped) { sock.destroy(); return; }
    this.track(sock);
    if (this.pendingHandshakes >= this.limits.maxPendingHandshakes) { sock.destroy(); return; }
    this.pendingHandshakes += 1;
    const ch = new HandshakeChannel(sock, true);
    const deadline = setTimeout(() => { ch.release(); sock.destroy(); }, this.limits.handshakeTimeoutMs);
    let counted = true;
    const done = () => { clearTimeout(deadline); if (counted) { counted = false; this.pendingHandshakes -= 1; } };
    ch.next(this.limits.handshakeTimeoutMs).then(async (first) => {
      if (first.cmd === 'HelloStream') {
        done();
        const { leftover } = ch.releaseRaw();
        const w = this.legWaiters.get(first.streamId.toLowerCase());
        if (!w) { sock.destroy(); return; }
        this.legWaiters.delete(first.streamId.toLowerCase());
        clearTimeout(w.timer);
        w.resolve({ sock, leftover });
        return;
      }
      if (first.cmd !== 'Hello') throw new RtcpError('INVALID_DATA', `first package ${first.cmd} is not Hello or HelloStream`);
      if (!this.admitHandshake(remote)) throw new RtcpError('REFUSED', 'handshake rate exceeded');
      const tunnel = await this.respond(ch, sock, first.body, remote);
      done();
      this.publish(tunnel);
    }).catch((e: Error) => {
      done();
      ch.release();
      sock.destroy();
      this.o.log?.warn('rtcp connection refused', { remote, error: e.message });
    });
  }

  private admitHandshake(remote: string): boolean {
    const ip = remote.replace(/:\d+$/, '');
    const now = Date.now();
    let r = this.handshakeRates.get(ip);
    if (!r) {
      if (this.handshakeRates.size >= 4096) this.handshakeRates.delete(this.handshakeRates.keys().next().value!);
      r = { tokens: this.limits.handshakeRequestBurst, at: now };
      this.handshakeRates.set(ip, r);
    }
    r.tokens = Math.min(this.limits.handshakeRequestBurst, r.tokens + ((now - r.at) / 1000) * this.limits.handshakeRequestsPerSecond);
    r.at = now;
    if (r.tokens < 1) return false;
    r.tokens -= 1;
    return true;
  }

  private async respond(ch: HandshakeChannel, sock: Duplex, hello: HelloBody, remote: string): Promise<RtcpTunnel> {
    if (!hello.tunnel_token) throw new RtcpError('UNAUTHENTICATED', 'Hello carries no tunnel token');
    // ①–② parse-only: the signed claims must bind the plaintext Hello fields
    const unverified = decodeTokenUnverified(hello.tunnel_token);
    if (unverified.from !== safeHost(hello.from_id)) throw new RtcpError('UNAUTHENTICATED', 'token.from does not match Hello.from_id');
    if (unverified.listen_port !== hello.my_port) throw new RtcpError('UNAUTHENTICATED', 'signed listen_port does not match Hello.my_port');
    // ③ same_zone: the owner-signed device document (anonymous did:dev peers are rejected, as upstream's default)
    if (!hello.device_doc_jwt) throw new RtcpError('UNAUTHENTICATED', `${hello.from_id} sent no device document (anonymous peers are refused)`);
    const known = await this.lookup(hello.from_id).catch(() => undefined);
    const peer = await verifyPeerDocument(this.o.identity, hello.device_doc_jwt, known?.addresses ?? []);
    if (peer.did !== hello.from_id) throw new RtcpError('UNAUTHENTICATED', `Hello.from_id ${hello.from_id} is not the device document's id ${peer.did}`);
    // ④ possession of the document's key
    const claims = verifyHelloToken(hello.tunnel_token, peer.jwk, nowS());
    if (claims.to !== safeHost(hello.to_id)) throw new RtcpError('UNAUTHENTICATED', 'token.to does not match Hello.to_id');
    if (claims.canonical_to !== this.myCanonical) throw new RtcpError('UNAUTHENTICATED', `signed canonical_to is not this device (${this.myCanonical})`);
    if (claims.to !== this.myHost && claims.to !== hostOf(this.myCanonical)) throw new RtcpError('UNAUTHENTICATED', `the Hello is addressed to ${claims.to}, not to this device`);
    // ours: revocation list, and a known name stays pinned to its known key
    if (known && known.canonicalDid !== peer.canonicalDid) {
      throw new RtcpError('PERMISSION_DENIED', `${peer.name} presents a key that is not the one this zone knows for it`);
    }
    this.checkAdmissible(peer);
    // replay cache keyed by (canonical source, nonce), kept for the whole acceptance window
    this.checkNonce(peer.canonicalDid, claims.nonce, claims.exp + JWT_LEEWAY_S);

    const eph = freshEphemeral();
    const nonce = randomBytes(16).toString('hex');
    const iat = nowS();
    const ackToken = signToken({ aud: ACK_AUD, to: claims.from, from: claims.to, xpub: eph.publicHex, peer_xpub: claims.xpub, iat, exp: iat + TOKEN_LIFETIME_S, nonce }, this.o.identity.privateKeyPem);
    const challenge = randomBytes(16).toString('hex');
    ch.send({ cmd: 'HelloAck', seq: 0, body: { ack_token: ackToken, challenge, responder_id: claims.to } });
    const { key, iv } = deriveSessionSecrets(x25519Shared(eph.privateKey, claims.xpub), {
      initiatorDid: claims.from, responderDid: claims.to, initiatorCanonicalDid: peer.canonicalDid, responderCanonicalDid: this.myCanonical,
      initiatorXpubHex: claims.xpub, responderXpubHex: eph.publicHex, initiatorNonceHex: claims.nonce, responderNonceHex: nonce,
    });
    ch.encrypt(key, iv, 'responder');
    const confirm = await ch.next(this.limits.handshakeTimeoutMs);
    if (confirm.cmd !== 'HelloAckConfirm' || confirm.body.challenge_echo !== challenge) throw new RtcpError('UNAUTHENTICATED', 'HelloAckConfirm challenge_echo mismatch; key confirmation failed');
    ch.send({ cmd: 'TunnelResult', seq: 0, body: { accepted: true } });
    const { sealer, opener, leftover } = ch.release();
    const viaRelay = !(sock instanceof net.Socket);
    return new RtcpTunnel({ sock, sealer, opener, leftover, key, role: 'responder', peer, remote: viaRelay ? 'via relay' : remote, via: viaRelay ? 'relay' : undefined, host: this.host, liveness: this.liveness, limits: this.limits });
  }

  private checkNonce(canonical: string, nonce: string, retainUntil: number) {
    const now = nowS();
    const key = `${canonical}|${nonce.toLowerCase()}`;
    if (this.nonces.size > 1024) for (const [k, until] of this.nonces) if (until <= now) this.nonces.delete(k);
    const seen = this.nonces.get(key);
    if (seen !== undefined && seen > now) throw new RtcpError('UNAUTHENTICATED', 'replayed Hello nonce');
    if (this.nonces.size >= 16 * 1024) {
      let soonest: string | undefined;
      let min = Infinity;
      for (const [k, until] of this.nonces) if (until < min) { min = until; soonest = k; }
      if (soonest) this.nonces.delete(soonest);
    }
    this.nonces.set(key, retainUntil);
  }

  private checkAdmissible(peer: VerifiedPeer) {
    if (peer.canonicalDid === this.myCanonical) throw new RtcpError('PERMISSION_DENIED', 'a device does not open a tunnel to itself');
    if (this.revocations.isRevoked({ name: peer.name, did: peer.did, keyX: peer.jwk.x, delegationJti: peer.delegationJti })) throw new RtcpError('PERMISSION_DENIED', `${peer.name} has been removed from this zone`);
  }

  // ===========================================================================================
  // tunnels and streams

  private state(peer: VerifiedPeer): PeerState {
    let s = this.peers.get(peer.canonicalDid);
    if (!s) {
      s = { hints: [], failures: 0, nextDirectAt: 0, relayed: new Map() };
      this.peers.set(peer.canonicalDid, s);
    }
    for (const n of [peer.name, peer.did, peer.host]) {
      this.names.set(n, peer.canonicalDid);
      const pending = this.pendingHints.get(n);
      if (pending) { this.pendingHints.delete(n); for (const a of pending) if (!s.hints.includes(a)) s.hints.push(a); }
    }
    return s;
  }

  /** One tunnel per device pair: the newest authenticated one replaces the old (ours; upstream keeps the first). */
  private publish(t: RtcpTunnel) {
    const s = this.state(t.peer);
    if (t.via && s.tunnel && !s.tunnel.closed && !s.tunnel.via) {
      // a relayed tunnel never displaces a live direct one: it is kept beside it
      const prev = s.relayed.get(t.via);
      s.relayed.set(t.via, t);
      if (prev && prev !== t && !prev.closed) prev.close('replaced by a newer tunnel');
      this.o.log?.info('rtcp tunnel up', { device: t.peer.name, direction: t.canDirect ? 'out' : 'in', via: t.via });
      return;
    }
    const old = s.tunnel;
    s.tunnel = t;
    if (old && old !== t && !old.closed) old.close('replaced by a newer tunnel');
    if (!t.via) { clearTimeout(s.directTimer); s.nextDirectAt = 0; s.failures = 0; }
    this.o.log?.info('rtcp tunnel up', { device: t.peer.name, direction: t.canDirect ? 'out' : 'in', ...(t.via && { via: t.via }), ...(t.remote && { remote: t.remote }) });
  }

  private onTunnelClosed(t: RtcpTunnel, reason: string) {
    const s = this.peers.get(t.peer.canonicalDid);
    if (s?.tunnel === t) s.tunnel = undefined;
    if (t.via && s?.relayed.get(t.via) === t) s.relayed.delete(t.via);
    const watcher = this.closeWatchers.get(t);
    this.closeWatchers.delete(t);
    // a replacement already up keeps the device reachable; otherwise reconnect
    if (watcher && !(s?.tunnel && !s.tunnel.closed)) watcher();
    else if (watcher && s?.tunnel) this.closeWatchers.set(s.tunnel, watcher);
    if (!this.stopped) this.o.log?.info('rtcp tunnel down', { device: t.peer.name, reason });
  }

  private closeRevoked() {
    for (const s of this.peers.values()) {
      for (const t of [s.tunnel, ...s.relayed.values()]) {
        if (t && !t.closed && this.revocations.isRevoked({ name: t.peer.name, did: t.peer.did, keyX: t.peer.jwk.x, delegationJti: t.peer.delegationJti })) t.close('device revoked');
      }
    }
  }

  private waitLeg(streamId: string, timeoutMs: number) {
    let cancel = () => {};
    const promise = new Promise<{ sock: Duplex; leftover: Buffer }>((resolve, reject) => {
      if (this.legWaiters.has(streamId)) { reject(new RtcpError('INVALID_DATA', 'duplicate stream id')); return; }
      const timer = setTimeout(() => { this.legWaiters.delete(streamId); reject(new RtcpError('TIMEOUT', 'stream leg did not arrive')); }, timeoutMs);
      timer.unref();
      this.legWaiters.set(streamId, { resolve, reject, timer });
      cancel = () => {
        const w = this.legWaiters.get(streamId);
        if (!w) return;
        clearTimeout(w.timer);
        this.legWaiters.delete(streamId);
        w.reject(new RtcpError('CLOSED', 'stream wait cancelled'));
      };
    });
    return { promise, cancel: () => cancel() };
  }

  private isSelf(host: string | null): boolean {
    return host === null || host === '' || host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === this.o.localHost
      || host === this.myHost || host === this.o.identity.deviceName || host === this.o.identity.deviceDid;
  }

  /** Inbound stream policy: our own loopback on an exposed port, our own rtcp port, or (relay) another zone device's rtcp port. */
  private authorize(peer: VerifiedPeer, host: string | null, port: number): number | 'ok' {
    if (this.isSelf(host)) return port === this.port || this.o.exposes(port, peer) ? 'ok' : OpenResult.AUTHORIZATION_REJECTED;
    if (!this.o.relay) return OpenResult.AUTHORIZATION_REJECTED;
    const canonical = host ? this.names.get(host) : undefined;
    return canonical || host ? 'ok' : OpenResult.AUTHORIZATION_REJECTED; // the target is checked when the relay dials it
  }

  private deliver(peer: VerifiedPeer, stream: Duplex, host: string | null, port: number) {
    this.track(stream);
    if (this.isSelf(host)) {
      if (port === this.port) { this.acceptConnection(stream, `rtcp:${peer.name}`); return; }
      const up = net.connect({ host: this.o.hostFor?.(port) ?? this.o.localHost, port, allowHalfOpen: true });
      up.setNoDelay(true);
      splice(stream, this.track(up));
      return;
    }
    void this.relayTo(peer, stream, host!, port);
  }

  private async relayTo(from: VerifiedPeer, stream: Duplex, host: string, port: number) {
    try {
      const target = await this.resolve(host);
      if (port !== target.rtcpPort) throw new RtcpError('PERMISSION_DENIED', `relaying is only to a device's rtcp port (${target.rtcpPort}), not ${port}`);
      if (target.canonicalDid === from.canonicalDid) throw new RtcpError('PERMISSION_DENIED', 'a device cannot be relayed to itself');
      const up = await this.openStream(target.name, target.rtcpPort, { directOnly: true });
      this.o.log?.info('rtcp relaying', { from: from.name, to: target.name });
      splice(stream, this.track(up), this.o.relayTap);
    } catch (e) {
      this.o.log?.warn('rtcp relay refused', { from: from.name, to: host, error: (e as Error).message });
      stream.destroy();
    }
  }

  private track<T extends Duplex>(s: T): T {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    return s;
  }

  // ===========================================================================================
  // directory

  private async lookup(target: string): Promise<VerifiedPeer | undefined> {
    const rec = await this.o.directory.lookup(target);
    if (!rec) return undefined;
    return verifyPeerDocument(this.o.identity, rec.docJwt, rec.addresses ?? []);
  }

  private async resolve(target: string): Promise<VerifiedPeer> {
    const peer = await this.lookup(target);
    if (!peer) throw new RtcpError('NOT_FOUND', `${target.slice(0, 80)} is not a device of this zone`);
    return peer;
  }
}

function safeHost(did: string): string {
  try {
    return hostOf(did);
  } catch {
    return did;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Both directions, with half-close; an error on either side ends both. */
export function splice(a: Duplex, b: Duplex, tap?: (dir: 'in' | 'out', chunk: Buffer) => void) {
  if (tap) {
    a.on('data', (c: Buffer) => tap('in', c));
    b.on('data', (c: Buffer) => tap('out', c));
  }
  a.pipe(b);
  b.pipe(a);
  const kill = () => { a.destroy(); b.destroy(); };
  a.on('error', kill);
  b.on('error', kill);
  a.on('close', () => { if (!b.writableFinished) b.destroy(); });
  b.on('close', () => { if (!a.writableFinished) a.destroy(); });
}

/**
 * The handshake phase of a connection: plaintext packets first, then (after `encrypt`) AEAD control
 * records; `release` hands the record layer and any bytes already received to whoever continues.
 */
class HandshakeChannel {
  private readonly reader: PacketReader;
  private sealer: RecordSealer | undefined;
  private opener: RecordOpener | undefined;
  private waiter: { resolve: (p: FirstPacket) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (d: Buffer) => {
    try {
      if (this.opener) for (const pt of this.opener.push(d)) this.reader.append(pt);
      else this.reader.append(d);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.pump();
  };
  private readonly onEnd = () => this.fail(new RtcpError('CLOSED', 'peer closed the connection during the handshake'));
  private readonly onError = (e: Error) => this.fail(e);

  constructor(private readonly sock: Duplex, allowHelloStream: boolean) {
    this.reader = new PacketReader(allowHelloStream);
    sock.on('data', this.onData);
    sock.on('end', this.onEnd);
    sock.on('close', this.onEnd);
    sock.on('error', this.onError);
  }

  private fail(e: Error) {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  private pump() {
    if (!this.waiter) return;
    let p: FirstPacket | undefined;
    try {
      p = this.reader.next();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (!p) return;
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(p);
  }

  next(timeoutMs: number): Promise<FirstPacket> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<FirstPacket>((resolve, reject) => {
      const t = setTimeout(() => { this.waiter = undefined; reject(new RtcpError('TIMEOUT', 'handshake timed out')); }, timeoutMs);
      this.waiter = { resolve: (p) => { clearTimeout(t); resolve(p); }, reject: (e) => { clearTimeout(t); reject(e); } };
      this.pump();
    });
  }

  send(p: ControlPacket) {
    const bytes = encodePacket(p);
    if (this.sealer) this.sock.write(this.sealer.sealAll(bytes));
    else this.sock.write(bytes);
  }

  encrypt(key: Buffer, iv: Buffer, role: 'initiator' | 'responder') {
    ({ sealer: this.sealer, opener: this.opener } = recordPair(key, iv, role, CONTROL_BUDGET));
    const raw = this.reader.take();
    if (raw.length > 0) for (const pt of this.opener.push(raw)) this.reader.append(pt);
  }

  private detach() {
    // whoever continues attaches its own listener and resumes
    this.sock.pause();
    this.sock.off('data', this.onData);
    this.sock.off('end', this.onEnd);
    this.sock.off('close', this.onEnd);
    this.sock.off('error', this.onError);
  }

  release(): { sealer: RecordSealer; opener: RecordOpener; leftover: Buffer } {
    this.detach();
    return { sealer: this.sealer!, opener: this.opener!, leftover: this.reader.take() };
  }

  /** For a HelloStream: the raw bytes after it belong to the stream's records. */
  releaseRaw(): { leftover: Buffer } {
    this.detach();
    return { leftover: this.reader.take() };
  }
}

export { Duplex };
