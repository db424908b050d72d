// RTCP v4 control packets (rtcp.md §2, cyfs-gateway src/components/cyfs-gateway-lib/src/rtcp/package.rs):
//   len u16 BE (includes itself) | json_pos u8 = 8 | cmd u8 | seq u32 BE | JSON body
// and the first packet of a stream leg, HelloStream: 0x0000 | 32 hex ASCII bytes of stream id.
// Parsing is strict (json_pos must be 8, JSON non-empty UTF-8 of the command's shape) and never
// waits for more than the declared length.
import { RtcpError } from './errors.js';
import type { StreamPurpose } from './crypto.js';

export const Cmd = {
  Hello: 1,
  HelloAck: 2,
  Ping: 3,
  Pong: 4,
  ROpen: 5,
  ROpenResp: 6,
  Open: 7,
  OpenResp: 8,
  HelloAckConfirm: 9,
  TunnelResult: 10,
} as const;
export type CmdName = keyof typeof Cmd;

export interface HelloBody { from_id: string; to_id: string; my_port: number; tunnel_token: string | null; device_doc_jwt?: string }
export interface HelloAckBody { ack_token: string; challenge: string; responder_id: string }
export interface HelloAckConfirmBody { challenge_echo: string }
export interface TunnelResultBody { accepted: boolean; reason?: string }
export interface PingBody { timestamp: number }
export interface OpenBody { streamid: string; purpose: StreamPurpose | null; dest_port: number; dest_host: string | null }
export interface OpenRespBody { result: number }

export type ControlPacket =
  | { cmd: 'Hello'; seq: number; body: HelloBody }
  | { cmd: 'HelloAck'; seq: number; body: HelloAckBody }
  | { cmd: 'HelloAckConfirm'; seq: number; body: HelloAckConfirmBody }
  | { cmd: 'TunnelResult'; seq: number; body: TunnelResultBody }
  | { cmd: 'Ping' | 'Pong'; seq: number; body: PingBody }
  | { cmd: 'Open' | 'ROpen'; seq: number; body: OpenBody }
  | { cmd: 'OpenResp' | 'ROpenResp'; seq: number; body: OpenRespBody };

export type FirstPacket = ControlPacket | { cmd: 'HelloStream'; streamId: string };

/** Open/ROpen result codes (rtcp.md §2.3); an unknown non-zero code is a failure. */
export const OpenResult = {
  OK: 0,
  QUOTA: 1,
  RECONNECT_FAILED: 2,
  WRONG_DIRECTION: 3,
  TIMEOUT: 4,
  AUTHORIZATION_REJECTED: 5,
  INVALID_STREAM_ID: 6,
  DUPLICATE_STREAM_ID: 7,
  RATE_LIMITED: 8,
  KEY_EPOCH_EXHAUSTED: 9,
} as const;

const HEADER_LEN = 8;
const MAX_PACKET = 0xffff;
const bad = (msg: string) => new RtcpError('INVALID_DATA', msg);

export function encodePacket(p: ControlPacket): Buffer {
  const json = Buffer.from(JSON.stringify(bodyForWire(p)), 'utf8');
  const total = HEADER_LEN + json.length;
  if (total > MAX_PACKET) throw bad(`package too long: ${total}`);
  const out = Buffer.allocUnsafe(total);
  out.writeUInt16BE(total, 0);
  out[2] = HEADER_LEN;
  out[3] = Cmd[p.cmd];
  out.writeUInt32BE(p.seq >>> 0, 4);
  json.copy(out, HEADER_LEN);
  return out;
}

// Field order as serde writes upstream's structs; optional members skipped as upstream skips them.
function bodyForWire(p: ControlPacket): object {
  switch (p.cmd) {
    case 'Hello': {
      const b = p.body;
      return { from_id: b.from_id, to_id: b.to_id, my_port: b.my_port, tunnel_token: b.tunnel_token, ...(b.device_doc_jwt !== undefined && { device_doc_jwt: b.device_doc_jwt }) };
    }
    case 'HelloAck': return { ack_token: p.body.ack_token, challenge: p.body.challenge, responder_id: p.body.responder_id };
    case 'HelloAckConfirm': return { challenge_echo: p.body.challenge_echo };
    case 'TunnelResult': return { accepted: p.body.accepted, ...(p.body.reason && { reason: p.body.reason }) };
    case 'Ping': case 'Pong': return { timestamp: p.body.timestamp };
    case 'Open': case 'ROpen': return { streamid: p.body.streamid, purpose: p.body.purpose, dest_port: p.body.dest_port, dest_host: p.body.dest_host };
    case 'OpenResp': case 'ROpenResp': return { result: p.body.result };
  }
}

export function encodeHelloStream(streamId: string): Buffer {
  if (!/^[0-9a-fA-F]{32}$/.test(streamId)) throw bad('HelloStream stream id must be exactly 32 hexadecimal ASCII bytes');
  return Buffer.concat([Buffer.alloc(2), Buffer.from(streamId, 'ascii')]);
}

// ---------------------------------------------------------------------------------------------
// body shapes

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Record<string, unknown>, k: string): string => {
  if (typeof o[k] !== 'string') throw bad(`field ${k} must be a string`);
  return o[k];
};
const optStr = (o: Record<string, unknown>, k: string): string | null => (o[k] === undefined || o[k] === null ? null : str(o, k));
const uint = (o: Record<string, unknown>, k: string, max: number): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad(`field ${k} must be an integer in 0..${max}`);
  return v;
};

function parseBody(cmd: number, seq: number, v: unknown): ControlPacket {
  if (!isObj(v)) throw bad('rtcp package body must be a JSON object');
  switch (cmd) {
    case Cmd.Hello:
      return { cmd: 'Hello', seq, body: { from_id: str(v, 'from_id'), to_id: str(v, 'to_id'), my_port: uint(v, 'my_port', 0xffff), tunnel_token: optStr(v, 'tunnel_token'), ...(optStr(v, 'device_doc_jwt') !== null && { device_doc_jwt: str(v, 'device_doc_jwt') }) } };
    case Cmd.HelloAck:
      return { cmd: 'HelloAck', seq, body: { ack_token: str(v, 'ack_token'), challenge: str(v, 'challenge'), responder_id: str(v, 'responder_id') } };
    case Cmd.HelloAckConfirm:
      return { cmd: 'HelloAckConfirm', seq, body: { challenge_echo: str(v, 'challenge_echo') } };
    case Cmd.TunnelResult: {
      if (typeof v.accepted !== 'boolean') throw bad('field accepted must be a boolean');
      return { cmd: 'TunnelResult', seq, body: { accepted: v.accepted, ...(optStr(v, 'reason') && { reason: str(v, 'reason') }) } };
    }
    case Cmd.Ping: case Cmd.Pong:
      return { cmd: cmd === Cmd.Ping ? 'Ping' : 'Pong', seq, body: { timestamp: uint(v, 'timestamp', Number.MAX_SAFE_INTEGER) } };
    case Cmd.Open: case Cmd.ROpen: {
      const idKey = v.streamid !== undefined ? 'streamid' : 'stream_id';
      const purpose = v.purpose === undefined || v.purpose === null ? null : v.purpose;
      if (purpose !== null && purpose !== 'Stream' && purpose !== 'Datagram') throw bad('field purpose must be "Stream" or "Datagram"');
      return { cmd: cmd === Cmd.Open ? 'Open' : 'ROpen', seq, body: { streamid: str(v, idKey), purpose, dest_port: uint(v, 'dest_port', 0xffff), dest_host: optStr(v, 'dest_host') } };
    }
    case Cmd.OpenResp: case Cmd.ROpenResp:
      return { cmd: cmd === Cmd.OpenResp ? 'OpenResp' : 'ROpenResp', seq, body: { result: uint(v, 'result', 0xffffffff) } };
    default:
      throw bad(`unsupported package type ${cmd}`);
  }
}

// ---------------------------------------------------------------------------------------------
// incremental parser

/**
 * Splits a byte stream into packets. Only the first packet may be a HelloStream (when `allowHelloStream`).
 * `push` returns the packets completed so far; `take()` hands back bytes received after the last one
 * (the caller switches to the record layer after a handshake packet).
 */
export class PacketReader {
  private buf: Buffer = Buffer.alloc(0);
  private first = true;
  constructor(private readonly allowHelloStream = false) {}

  /** Buffers bytes without parsing them. */
  append(data: Buffer) {
    this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
  }

  push(data: Buffer): FirstPacket[] {
    this.append(data);
    const out: FirstPacket[] = [];
    for (;;) {
      const p = this.next();
      if (!p) break;
      out.push(p);
    }
    return out;
  }

  /** One packet if complete, else undefined (bytes stay buffered). */
  next(): FirstPacket | undefined {
    if (this.buf.length < 2) return undefined;
    const len = this.buf.readUInt16BE(0);
    if (len === 0) {
      if (!this.first || !this.allowHelloStream) throw bad('HelloStream must be the first package of a stream leg');
      if (this.buf.length < 34) return undefined;
      const id = this.buf.subarray(2, 34).toString('latin1');
      if (!/^[0-9a-fA-F]{32}$/.test(id)) throw bad('HelloStream stream id must be 32 hexadecimal ASCII bytes');
      this.buf = this.buf.subarray(34);
      this.first = false;
      return { cmd: 'HelloStream', streamId: id };
    }
    if (len < HEADER_LEN) throw bad(`rtcp control package length ${len} is smaller than 8`);
    if (this.buf.length >= 3 && this.buf[2] !== HEADER_LEN) throw bad(`rtcp v4 requires json_pos=8, got ${this.buf[2]}`);
    if (this.buf.length < len) return undefined;
    const pkt = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    this.first = false;
    const json = pkt.subarray(HEADER_LEN);
    if (json.length === 0) throw bad('rtcp control package has empty JSON body');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(json);
    } catch {
      throw bad('rtcp JSON body is not UTF-8');
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw bad('rtcp package body is not JSON');
    }
    return parseBody(pkt[3], pkt.readUInt32BE(4), value);
  }

  /** Bytes received after the last complete packet. */
  take(): Buffer {
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }

  get buffered(): number {
    return this.buf.length;
  }
}
