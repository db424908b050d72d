// RTCP v4 key schedule and AEAD record layer (cyfs-gateway doc/rtcp/rtcp.md §4, code in
// src/components/cyfs-gateway-lib/src/rtcp/rtcp.rs derive_session_secrets / derive_stream_secrets and
// src/components/cyfs-gateway-lib/src/aes_stream.rs). Standard primitives from node:crypto only:
// X25519, HKDF-SHA256 (RFC 5869, written out with HMAC so the info string has no length cap),
// SHA-256 and AES-256-GCM.
import { createCipheriv, createDecipheriv, createHash, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { RtcpError } from './errors.js';

export const PROTOCOL_VERSION = 4;
export const TAG_LEN = 16;
export const MAX_PLAINTEXT = 16 * 1024;
export const MAX_RECORD = MAX_PLAINTEXT + TAG_LEN;
const NONCE_LEN = 12;

export type Role = 'initiator' | 'responder';
export type StreamPurpose = 'Stream' | 'Datagram';

export interface KeyUseBudget {
  maxRecords: number;
  maxBytes: number;
  maxAgeMs: number;
}
/** Upstream AeadUsageBudget::CONTROL / ::STREAM. */
export const CONTROL_BUDGET: KeyUseBudget = { maxRecords: 2 ** 24, maxBytes: 4 * 1024 ** 3, maxAgeMs: 24 * 3600_000 };
export const STREAM_BUDGET: KeyUseBudget = { maxRecords: 2 ** 20, maxBytes: 1024 ** 3, maxAgeMs: 24 * 3600_000 };

// ---------------------------------------------------------------------------------------------
// HKDF-SHA256

export function hkdfExtract(salt: Buffer | undefined, ikm: Buffer): Buffer {
  return createHmac('sha256', salt && salt.length > 0 ? salt : Buffer.alloc(32)).update(ikm).digest();
}

export function hkdfExpand(prk: Buffer, info: Buffer, length: number): Buffer {
  if (length > 255 * 32) throw new RangeError('HKDF output too long');
  const out = Buffer.allocUnsafe(length);
  let prev = Buffer.alloc(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    prev = createHmac('sha256', prk).update(prev).update(info).update(Buffer.from([i])).digest();
    filled += prev.copy(out, filled);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// X25519 ephemeral keys (hex public keys as the tokens carry them)

export interface Ephemeral {
  privateKey: KeyObject;
  publicHex: string;
}

export function freshEphemeral(): Ephemeral {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  return { privateKey, publicHex: Buffer.from(x, 'base64url').toString('hex') };
}

export function x25519PublicFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new RtcpError('INVALID_DATA', 'x25519 public key must be exactly 32 bytes of hex');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(hex, 'hex').toString('base64url') }, format: 'jwk' });
}

export function x25519Shared(privateKey: KeyObject, peerPublicHex: string): Buffer {
  return diffieHellman({ privateKey, publicKey: x25519PublicFromHex(peerPublicHex) });
}

// ---------------------------------------------------------------------------------------------
// Tunnel session key (rtcp.md §4.1)

export interface SessionContext {
  initiatorDid: string;
  responderDid: string;
  initiatorCanonicalDid: string;
  responderCanonicalDid: string;
  initiatorXpubHex: string;
  responderXpubHex: string;
  initiatorNonceHex: string;
  responderNonceHex: string;
}

export function sessionInfoTail(c: SessionContext): Buffer {
  return Buffer.from(
    ['', c.initiatorDid, c.responderDid, c.initiatorCanonicalDid, c.responderCanonicalDid, c.initiatorXpubHex, c.responderXpubHex, c.initiatorNonceHex, c.responderNonceHex].join('|'),
    'utf8',
  );
}

/** (control_key, control_iv) from the X25519 shared secret and the handshake context. */
export function deriveSessionSecrets(shared: Buffer, c: SessionContext): { key: Buffer; iv: Buffer } {
  const prk = hkdfExtract(undefined, shared);
  const tail = sessionInfoTail(c);
  return {
    key: hkdfExpand(prk, Buffer.concat([Buffer.from('buckyos-rtcp-v4 aes256-key'), tail]), 32),
    iv: hkdfExpand(prk, Buffer.concat([Buffer.from('buckyos-rtcp-v4 iv-salt'), tail]), 16),
  };
}

// ---------------------------------------------------------------------------------------------
// Per-stream key (rtcp.md §4.2)

export function parseStreamId(id: string): Buffer {
  if (typeof id !== 'string' || !/^[0-9a-fA-F]{32}$/.test(id)) throw new RtcpError('INVALID_DATA', 'RTCP stream id must be exactly 32 hexadecimal characters');
  return Buffer.from(id, 'hex');
}

export function deriveStreamSecrets(controlKey: Buffer, streamId: string, purpose: StreamPurpose = 'Stream'): { key: Buffer; iv: Buffer } {
  const raw = parseStreamId(streamId);
  const prk = hkdfExtract(undefined, controlKey);
  const ctx = Buffer.concat([Buffer.from([PROTOCOL_VERSION]), raw, Buffer.from([purpose === 'Datagram' ? 1 : 0])]);
  return {
    key: hkdfExpand(prk, Buffer.concat([Buffer.from('buckyos-rtcp stream key|'), ctx]), 32),
    iv: hkdfExpand(prk, Buffer.concat([Buffer.from('buckyos-rtcp stream iv|'), ctx]), 16),
  };
}

// ---------------------------------------------------------------------------------------------
// AEAD records (rtcp.md §4.3): len u16 BE (ciphertext + tag) || ciphertext || tag, no AAD.

export function nonceBases(iv: Buffer): { a: Buffer; b: Buffer } {
  const h = (label: string) => createHash('sha256').update(label).update(iv).digest().subarray(0, NONCE_LEN);
  return { a: Buffer.from(h('rtcp-aead-nonce/A')), b: Buffer.from(h('rtcp-aead-nonce/B')) };
}

export function recordNonce(base: Buffer, seq: number): Buffer {
  const n = Buffer.from(base);
  // seq < 2^53; its big-endian u64 XORed into the low 8 bytes.
  const hi = Math.floor(seq / 2 ** 32);
  const lo = seq >>> 0;
  n.writeUInt32BE((n.readUInt32BE(4) ^ hi) >>> 0, 4);
  n.writeUInt32BE((n.readUInt32BE(8) ^ lo) >>> 0, 8);
  return n;
}

class Budget {
  records = 0;
  bytes = 0;
  private readonly born = Date.now();
  constructor(private readonly limits: KeyUseBudget, private readonly dir: 'read' | 'write') {}
  take(plaintextLen: number) {
    if (Date.now() - this.born >= this.limits.maxAgeMs) throw new RtcpError('KEY_EXHAUSTED', 'AEAD key-use age budget exhausted');
    if (this.records >= this.limits.maxRecords) throw new RtcpError('KEY_EXHAUSTED', `AEAD ${this.dir} record budget exhausted`);
    if (this.bytes + plaintextLen > this.limits.maxBytes) throw new RtcpError('KEY_EXHAUSTED', `AEAD ${this.dir} byte budget exhausted`);
    this.bytes += plaintextLen;
    return this.records++;
  }
}

/** Writes records in one direction. */
export class RecordSealer {
  private readonly budget: Budget;
  constructor(private readonly key: Buffer, private readonly nonceBase: Buffer, limits: KeyUseBudget = STREAM_BUDGET) {
    this.budget = new Budget(limits, 'write');
  }

  /** One record for up to MAX_PLAINTEXT bytes. */
  sealOne(pt: Buffer): Buffer {
    const seq = this.budget.take(pt.length);
    const cipher = createCipheriv('aes-256-gcm', this.key, recordNonce(this.nonceBase, seq));
    const out = Buffer.allocUnsafe(2 + pt.length + TAG_LEN);
    out.writeUInt16BE(pt.length + TAG_LEN, 0);
    const ct = cipher.update(pt);
    ct.copy(out, 2);
    cipher.final();
    cipher.getAuthTag().copy(out, 2 + pt.length);
    return out;
  }

  /** Larger writes are split into 16 KiB records. */
  seal(pt: Buffer): Buffer[] {
    if (pt.length <= MAX_PLAINTEXT) return [this.sealOne(pt)];
    const out: Buffer[] = [];
    for (let off = 0; off < pt.length; off += MAX_PLAINTEXT) out.push(this.sealOne(pt.subarray(off, off + MAX_PLAINTEXT)));
    return out;
  }

  /**
   * The same records as `seal`, back to back in one buffer, so a write of any size costs one
   * allocation and one socket write (not one per 16 KiB record).
   */
  sealAll(pt: Buffer): Buffer {
    if (pt.length <= MAX_PLAINTEXT) return this.sealOne(pt);
    const n = Math.ceil(pt.length / MAX_PLAINTEXT);
    const out = Buffer.allocUnsafe(pt.length + n * (2 + TAG_LEN));
    let at = 0;
    for (let off = 0; off < pt.length; off += MAX_PLAINTEXT) {
      const chunk = pt.subarray(off, off + MAX_PLAINTEXT);
      const seq = this.budget.take(chunk.length);
      const cipher = createCipheriv('aes-256-gcm', this.key, recordNonce(this.nonceBase, seq));
      out.writeUInt16BE(chunk.length + TAG_LEN, at);
      at += 2;
      at += cipher.update(chunk).copy(out, at);
      cipher.final();
      at += cipher.getAuthTag().copy(out, at);
    }
    return out;
  }
}

/** Reads records in one direction from arbitrary chunks of the byte stream. */
export class RecordOpener {
  private readonly budget: Budget;
  private hdr = -1; // first header byte when only one arrived
  private body: Buffer | undefined;
  private fill = 0;
  /** At least one record authenticated (an EOF before that is an error, as upstream treats it). */
  authenticated = false;

  constructor(private readonly key: Buffer, private readonly nonceBase: Buffer, limits: KeyUseBudget = STREAM_BUDGET) {
    this.budget = new Budget(limits, 'read');
  }

  /** True while a record has started but not ended (an EOF now is a truncation). */
  get midRecord(): boolean {
    return this.hdr >= 0 || this.body !== undefined;
  }

  /** Plaintexts of every record completed by `data`; throws RtcpError on a bad length or a failed tag. */
  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;
    while (off < data.length) {
      if (this.body === undefined) {
        let len: number;
        if (this.hdr >= 0) {
          len = (this.hdr << 8) | data[off];
          off += 1;
          this.hdr = -1;
        } else if (data.length - off >= 2) {
          len = data.readUInt16BE(off);
          off += 2;
        } else {
          this.hdr = data[off];
          off += 1;
          continue;
        }
        if (len < TAG_LEN || len > MAX_RECORD) throw new RtcpError('INVALID_DATA', `invalid AEAD record length ${len}`);
        if (data.length - off >= len) {
          const pt = this.open(data.subarray(off, off + len));
          off += len;
          if (pt.length > 0) out.push(pt);
          continue;
        }
        this.body = Buffer.allocUnsafe(len);
        this.fill = 0;
      }
      const n = Math.min(this.body.length - this.fill, data.length - off);
      data.copy(this.body, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === this.body.length) {
        const body = this.body;
        this.body = undefined;
        const pt = this.open(body);
        if (pt.length > 0) out.push(pt);
      }
    }
    return out;
  }

  private open(record: Buffer): Buffer {
    const seq = this.budget.take(record.length - TAG_LEN);
    const decipher = createDecipheriv('aes-256-gcm', this.key, recordNonce(this.nonceBase, seq));
    decipher.setAuthTag(record.subarray(record.length - TAG_LEN));
    const pt = decipher.update(record.subarray(0, record.length - TAG_LEN));
    try {
      decipher.final();
    } catch {
      throw new RtcpError('INVALID_DATA', 'AEAD authentication failed');
    }
    this.authenticated = true;
    return pt;
  }
}

/** Both directions of one connection: the transport initiator writes with nonce base A and reads with B. */
export function recordPair(key: Buffer, iv: Buffer, role: Role, limits: KeyUseBudget = STREAM_BUDGET): { sealer: RecordSealer; opener: RecordOpener } {
  const { a, b } = nonceBases(iv);
  return role === 'initiator'
    ? { sealer: new RecordSealer(key, a, limits), opener: new RecordOpener(key, b, limits) }
    : { sealer: new RecordSealer(key, b, limits), opener: new RecordOpener(key, a, limits) };
}
