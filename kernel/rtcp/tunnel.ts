// One authenticated control tunnel between two devices (rtcp.md §5–6): AEAD control records carrying
// Ping/Pong and Open/ROpen, and one new transport leg per business stream. The side that dialled the
// tunnel (`canDirect`) receives ROpen and dials every leg, so a device behind NAT only ever dials out.
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { deriveStreamSecrets, parseStreamId, type RecordOpener, type RecordSealer, type Role, type StreamPurpose } from './crypto.js';
import { encodeHelloStream, encodePacket, OpenResult, PacketReader, type ControlPacket, type OpenBody } from './packet.js';
import { RtcpError } from './errors.js';
import { SecureStream } from './secure-stream.js';
import type { VerifiedPeer } from './trust.js';

export interface Liveness {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxMissedPongs: number;
}
/** Upstream's liveness defaults (rtcp.md §9). */
export const DEFAULT_LIVENESS: Liveness = { pingIntervalMs: 30_000, pongTimeoutMs: 10_000, maxMissedPongs: 3 };

export interface TunnelLimits {
  maxPendingStreamBuilds: number;
  maxStreamIds: number;
  streamRequestsPerSecond: number;
  streamRequestBurst: number;
  /** How long a waiter for a HelloStream lives (upstream STREAM_WAIT_TIMEOUT). */
  streamWaitMs: number;
}
export const DEFAULT_TUNNEL_LIMITS: TunnelLimits = { maxPendingStreamBuilds: 64, maxStreamIds: 65536, streamRequestsPerSecond: 32, streamRequestBurst: 64, streamWaitMs: 30_000 };

const MAX_TUNNEL_AGE_MS = 24 * 3600_000;

/** What the tunnel asks of its stack. */
export interface TunnelHost {
  /** Where an inbound stream for (host, port) may go; a number is an Open result code refusing it. */
  authorize(peer: VerifiedPeer, host: string | null, port: number): number | 'ok';
  /** Connect an authenticated inbound stream to its destination. */
  deliver(peer: VerifiedPeer, stream: Duplex, host: string | null, port: number): void;
  /** Wait for the HelloStream of `streamId` (registered stack-wide). */
  waitLeg(streamId: string, timeoutMs: number): { promise: Promise<{ sock: Duplex; leftover: Buffer }>; cancel(): void };
  onClose(t: RtcpTunnel, reason: string): void;
  log(level: 'info' | 'warn', msg: string, data?: Record<string, unknown>): void;
}

export interface TunnelOptions {
  sock: Duplex;
  /** The control channel's record layer, continued from the handshake (its sequence numbers run on). */
  sealer: RecordSealer;
  opener: RecordOpener;
  /** Control plaintext that arrived after the handshake's last packet. */
  leftover?: Buffer;
  /** control_key, the input of every per-stream key. */
  key: Buffer;
  role: Role;
  peer: VerifiedPeer;
  /** Dials a new transport leg to the peer's listener (only on the side that dialled the tunnel). */
  dialLeg?: () => Promise<Duplex>;
  /** Set when the tunnel is carried through a relay (the relay's device name). */
  via?: string;
  /** Remote address of the control connection, for status. */
  remote?: string;
  host: TunnelHost;
  liveness: Liveness;
  limits: TunnelLimits;
}

let nextInstance = 1;

export class RtcpTunnel {
  readonly instance = nextInstance++;
  readonly peer: VerifiedPeer;
  readonly canDirect: boolean;
  readonly via: string | undefined;
  readonly remote: string | undefined;
  readonly createdAt = Date.now();
  closed = false;
  lastRttMs: number | undefined;

  private readonly sock: Duplex;
  private readonly sealer: RecordSealer;
  private readonly opener: RecordOpener;
  private readonly reader = new PacketReader();
  private readonly key: Buffer;
  private readonly host: TunnelHost;
  private readonly liveness: Liveness;
  private readonly limits: TunnelLimits;
  private readonly dialLeg: (() => Promise<Duplex>) | undefined;
  private seq = 1;
  private readonly usedIds = new Set<string>();
  private pendingBuilds = 0;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly respWaiters = new Map<number, (code: number) => void>();
  private readonly pongWaiters = new Map<number, () => void>();
  private readonly cancels = new Set<() => void>();
  private outstandingPing: number | undefined;
  private missed = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(o: TunnelOptions) {
    this.peer = o.peer;
    this.sock = o.sock;
    this.key = o.key;
    this.host = o.host;
    this.liveness = o.liveness;
    this.limits = o.limits;
    this.dialLeg = o.dialLeg;
    this.canDirect = o.role === 'initiator';
    this.via = o.via;
    this.remote = o.remote;
    this.tokens = o.limits.streamRequestBurst;
    this.sealer = o.sealer;
    this.opener = o.opener;
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('end', () => this.close('peer closed the tunnel'));
    this.sock.on('error', (e) => this.close(`tunnel connection failed: ${e.message}`));
    this.sock.on('close', () => this.close('tunnel connection closed'));
    this.sock.resume();
    this.timer = setInterval(() => this.tick(), o.liveness.pingIntervalMs);
    this.timer.unref();
    if (o.leftover && o.leftover.length > 0) {
      const first = o.leftover;
      queueMicrotask(() => this.onPlain(first));
    }
  }

  get streamIdsUsed(): number {
    return this.usedIds.size;
  }

  // ---- control channel

  private send(p: ControlPacket) {
    if (this.closed) throw new RtcpError('CLOSED', 'rtcp tunnel closed');
    this.sock.write(this.sealer.sealAll(encodePacket(p)));
  }

  private nextSeq(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) >>> 0 || 1;
    return s;
  }

  private onData(d: Buffer) {
    if (this.closed) return;
    let pts: Buffer[];
    try {
      pts = this.opener.push(d);
    } catch (e) {
      this.close(`bad control record: ${(e as Error).message}`);
      return;
    }
    for (const pt of pts) this.onPlain(pt);
  }

  private onPlain(pt: Buffer) {
    if (this.closed) return;
    try {
      for (const p of this.reader.push(pt)) this.onPacket(p as ControlPacket);
    } catch (e) {
      this.close(`bad control packet: ${(e as Error).message}`);
    }
  }

  private onPacket(p: ControlPacket) {
    switch (p.cmd) {
      case 'Ping':
        this.send({ cmd: 'Pong', seq: p.seq, body: { timestamp: 0 } });
        return;
      case 'Pong': {
        if (p.seq === this.outstandingPing) {
          this.outstandingPing = undefined;
          this.missed = 0;
        }
        const w = this.pongWaiters.get(p.seq);
        if (w) { this.pongWaiters.delete(p.seq); w(); }
        return;
      }
      case 'Open':
        this.onOpen(p.seq, p.body);
        return;
      case 'ROpen':
        void this.onROpen(p.seq, p.body);
        return;
      case 'OpenResp':
      case 'ROpenResp': {
        const w = this.respWaiters.get(p.seq);
        if (w) { this.respWaiters.delete(p.seq); w(p.body.result); }
        if (p.body.result === OpenResult.KEY_EPOCH_EXHAUSTED) this.close('peer exhausted the stream id key epoch');
        return;
      }
      default:
        this.host.log('warn', 'unexpected control packet on a tunnel', { cmd: p.cmd, peer: this.peer.name });
    }
  }

  private tick() {
    if (this.closed) return;
    if (this.outstandingPing !== undefined) {
      this.missed += 1;
      if (this.missed >= this.liveness.maxMissedPongs) {
        this.close(`${this.missed} pings unanswered`);
        return;
      }
    }
    const seq = this.nextSeq();
    this.outstandingPing = seq;
    try {
      this.send({ cmd: 'Ping', seq, body: { timestamp: Math.floor(Date.now() / 1000) } });
    } catch { /* closed */ }
  }

  /** Round trip of one Ping; closes the tunnel if no Pong comes within the timeout (fast detection). */
  async probe(timeoutMs = this.liveness.pongTimeoutMs): Promise<number> {
    const seq = this.nextSeq();
    const started = performance.now();
    const pong = new Promise<void>((resolve) => this.pongWaiters.set(seq, resolve));
    this.send({ cmd: 'Ping', seq, body: { timestamp: Math.floor(Date.now() / 1000) } });
    let t: NodeJS.Timeout | undefined;
    const ok = await Promise.race([pong.then(() => true), new Promise<boolean>((r) => { t = setTimeout(() => r(false), timeoutMs); })]);
    clearTimeout(t);
    this.pongWaiters.delete(seq);
    if (!ok) {
      this.close(`no pong within ${timeoutMs} ms`);
      throw new RtcpError('TIMEOUT', `${this.peer.name} did not answer a ping within ${timeoutMs} ms`);
    }
    this.lastRttMs = performance.now() - started;
    return this.lastRttMs;
  }

  close(reason: string) {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.respWaiters.values()) w(-1);
    this.respWaiters.clear();
    this.pongWaiters.clear();
    for (const c of this.cancels) c();
    this.cancels.clear();
    this.usedIds.clear();
    this.sock.destroy();
    this.host.onClose(this, reason);
  }

  // ---- stream admission (inbound Open/ROpen)

  private admit(streamId: string): number | 'ok' {
    if (this.closed || Date.now() - this.createdAt >= MAX_TUNNEL_AGE_MS) return OpenResult.RECONNECT_FAILED;
    try { parseStreamId(streamId); } catch { return OpenResult.INVALID_STREAM_ID; }
    const id = streamId.toLowerCase();
    if (this.usedIds.has(id)) return OpenResult.DUPLICATE_STREAM_ID;
    const now = Date.now();
    this.tokens = Math.min(this.limits.streamRequestBurst, this.tokens + ((now - this.lastRefill) / 1000) * this.limits.streamRequestsPerSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return OpenResult.RATE_LIMITED;
    this.tokens -= 1;
    if (this.pendingBuilds >= this.limits.maxPendingStreamBuilds) return OpenResult.QUOTA;
    if (this.usedIds.size >= this.limits.maxStreamIds) return OpenResult.KEY_EPOCH_EXHAUSTED;
    this.usedIds.add(id);
    return 'ok';
  }

  private refuse(cmd: 'OpenResp' | 'ROpenResp', seq: number, code: number) {
    try { this.send({ cmd, seq, body: { result: code } }); } catch { /* closed */ }
    if (code === OpenResult.KEY_EPOCH_EXHAUSTED) this.close('stream id key epoch exhausted; reconnect required');
  }

  /** We accepted this tunnel: the peer asks us to wait for a leg it will dial. */
  private onOpen(seq: number, b: OpenBody) {
    if (this.canDirect) return this.refuse('OpenResp', seq, OpenResult.WRONG_DIRECTION);
    const admitted = this.admit(b.streamid);
    if (admitted !== 'ok') return this.refuse('OpenResp', seq, admitted);
    const authorized = this.host.authorize(this.peer, b.dest_host, b.dest_port);
    if (authorized !== 'ok') return this.refuse('OpenResp', seq, authorized);
    this.pendingBuilds += 1;
    const wait = this.host.waitLeg(b.streamid.toLowerCase(), this.limits.streamWaitMs);
    this.cancels.add(wait.cancel);
    this.send({ cmd: 'OpenResp', seq, body: { result: OpenResult.OK } });
    wait.promise.then(({ sock, leftover }) => {
      const { key, iv } = deriveStreamSecrets(this.key, b.streamid, b.purpose ?? 'Stream');
      this.host.deliver(this.peer, new SecureStream(sock, key, iv, 'responder', { leftover }), b.dest_host, b.dest_port);
    }, (e: Error) => this.host.log('warn', 'stream leg did not arrive', { peer: this.peer.name, error: e.message })).finally(() => {
      this.pendingBuilds -= 1;
      this.cancels.delete(wait.cancel);
    });
  }

  /** We dialled this tunnel: the peer asks us to dial a leg back for a stream to our side. */
  private async onROpen(seq: number, b: OpenBody) {
    if (!this.canDirect || !this.dialLeg) return this.refuse('ROpenResp', seq, OpenResult.WRONG_DIRECTION);
    const admitted = this.admit(b.streamid);
    if (admitted !== 'ok') return this.refuse('ROpenResp', seq, admitted);
    const authorized = this.host.authorize(this.peer, b.dest_host, b.dest_port);
    if (authorized !== 'ok') return this.refuse('ROpenResp', seq, authorized);
    this.pendingBuilds += 1;
    let leg: Duplex;
    try {
      leg = await this.dialLeg();
      leg.write(encodeHelloStream(b.streamid));
    } catch (e) {
      this.host.log('warn', 'could not dial a stream leg back', { peer: this.peer.name, error: (e as Error).message });
      this.pendingBuilds -= 1;
      return this.refuse('ROpenResp', seq, OpenResult.RECONNECT_FAILED);
    }
    this.pendingBuilds -= 1;
    try { this.send({ cmd: 'ROpenResp', seq, body: { result: OpenResult.OK } }); } catch { leg.destroy(); return; }
    const { key, iv } = deriveStreamSecrets(this.key, b.streamid, b.purpose ?? 'Stream');
    this.host.deliver(this.peer, new SecureStream(leg, key, iv, 'initiator'), b.dest_host, b.dest_port);
  }

  // ---- outbound streams

  private reserveId(): string {
    if (this.closed) throw new RtcpError('CLOSED', 'rtcp tunnel closed');
    if (Date.now() - this.createdAt >= MAX_TUNNEL_AGE_MS) {
      this.close('tunnel key-use age budget exhausted');
      throw new RtcpError('KEY_EXHAUSTED', 'rtcp tunnel key-use age budget exhausted; reconnect required');
    }
    if (this.usedIds.size >= this.limits.maxStreamIds) {
      this.close('stream id key epoch exhausted');
      throw new RtcpError('KEY_EXHAUSTED', 'rtcp tunnel stream id key epoch exhausted; reconnect required');
    }
    for (;;) {
      const id = randomBytes(16).toString('hex');
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }

  private waitResp(seq: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.respWaiters.delete(seq); resolve(OpenResult.TIMEOUT); }, timeoutMs);
      this.respWaiters.set(seq, (code) => { clearTimeout(t); resolve(code); });
    });
  }

  /** A new encrypted stream to `port` on the peer (`host` null: the peer's own loopback). */
  async openStream(port: number, host: string | null = null, purpose: StreamPurpose = 'Stream'): Promise<Duplex> {
    const streamId = this.reserveId();
    const { key, iv } = deriveStreamSecrets(this.key, streamId, purpose);
    const seq = this.nextSeq();
    const body: OpenBody = { streamid: streamId, purpose, dest_port: port, dest_host: host };
    if (this.canDirect) {
      const resp = this.waitResp(seq, this.limits.streamWaitMs);
      this.send({ cmd: 'Open', seq, body });
      const code = await resp;
      if (code !== OpenResult.OK) throw refused(this.peer.name, port, code);
      if (!this.dialLeg) throw new RtcpError('UNREACHABLE', 'this tunnel has no way to dial a stream leg');
      const leg = await this.dialLeg();
      leg.write(encodeHelloStream(streamId));
      return new SecureStream(leg, key, iv, 'initiator');
    }
    const wait = this.host.waitLeg(streamId, this.limits.streamWaitMs);
    this.cancels.add(wait.cancel);
    try {
      const resp = this.waitResp(seq, this.limits.streamWaitMs);
      this.send({ cmd: 'ROpen', seq, body });
      const first = await Promise.race([resp.then((code) => ({ code })), wait.promise.then((leg) => ({ leg }))]);
      if ('code' in first && first.code !== OpenResult.OK) {
        wait.cancel();
        throw refused(this.peer.name, port, first.code);
      }
      const { sock, leftover } = 'leg' in first ? first.leg : await wait.promise;
      return new SecureStream(sock, key, iv, 'responder', { leftover });
    } finally {
      this.cancels.delete(wait.cancel);
    }
  }
}

export function refused(peer: string, port: number, code: number): RtcpError {
  const why: Record<number, string> = {
    [-1]: 'the tunnel closed', 1: 'quota exhausted', 2: 'the peer could not dial back', 3: 'wrong direction', 4: 'timed out',
    5: 'the port is not exposed to us', 6: 'invalid stream id', 7: 'duplicate stream id', 8: 'rate limited', 9: 'key epoch exhausted',
  };
  const e = new RtcpError(code === 4 || code === -1 ? 'UNREACHABLE' : 'REFUSED', `${peer} refused a stream to port ${port}: ${why[code] ?? `result ${code}`}`);
  (e as RtcpError & { result?: number }).result = code;
  return e;
}
