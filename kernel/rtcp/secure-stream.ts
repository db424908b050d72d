// A business stream leg as a Node Duplex: plaintext in and out, AEAD records (crypto.ts) on the
// underlying transport, with backpressure both ways. EOF semantics as upstream's EncryptedStream:
// an EOF inside a record, or before any record was authenticated, is an error; an EOF at a record
// boundary after that is a clean end.
import { Duplex } from 'node:stream';
import { recordPair, STREAM_BUDGET, type KeyUseBudget, type RecordOpener, type RecordSealer, type Role } from './crypto.js';
import { RtcpError } from './errors.js';

export class SecureStream extends Duplex {
  private readonly sealer: RecordSealer;
  private readonly opener: RecordOpener;
  private readonly inner: Duplex;
  private innerEnded = false;

  constructor(inner: Duplex, key: Buffer, iv: Buffer, role: Role, opts: { leftover?: Buffer; budget?: KeyUseBudget } = {}) {
    super({ allowHalfOpen: true });
    this.inner = inner;
    ({ sealer: this.sealer, opener: this.opener } = recordPair(key, iv, role, opts.budget ?? STREAM_BUDGET));
    inner.on('data', (d: Buffer) => this.onData(d));
    inner.on('end', () => this.onEnd());
    inner.on('error', (e) => this.destroy(e));
    inner.on('close', () => { if (!this.innerEnded) this.destroy(); });
    if (opts.leftover && opts.leftover.length > 0) {
      const first = opts.leftover;
      queueMicrotask(() => this.onData(first));
    }
    inner.resume();
  }

  private onData(d: Buffer) {
    if (this.destroyed) return;
    let pts: Buffer[];
    try {
      pts = this.opener.push(d);
    } catch (e) {
      this.destroy(e as Error);
      return;
    }
    if (this.idleMs > 0) this.armIdle();
    if (pts.length === 0) return;
    // One push per transport read, not one per record: whoever reads this stream (a pipe to a
    // socket, most often) then does one write instead of one per 16 KiB record.
    if (!this.push(pts.length === 1 ? pts[0] : Buffer.concat(pts))) this.inner.pause();
  }

  private onEnd() {
    this.innerEnded = true;
    if (this.opener.midRecord) this.destroy(new RtcpError('INVALID_DATA', 'unexpected EOF inside an AEAD record'));
    else if (!this.opener.authenticated) this.destroy(new RtcpError('CLOSED', 'peer closed before any AEAD record'));
    else this.push(null);
  }

  override _read() {
    if (this.inner.isPaused()) this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void) {
    let ok: boolean;
    try {
      ok = this.inner.write(this.sealer.sealAll(chunk));
    } catch (e) {
      cb(e as Error);
      return;
    }
    if (ok) cb();
    else this.inner.once('drain', () => cb());
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void) {
    this._write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), 'binary', cb);
  }

  override _final(cb: (e?: Error | null) => void) {
    this.inner.end(cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void) {
    clearTimeout(this.idleTimer);
    this.inner.destroy();
    cb(err);
  }

  // The net.Socket surface node:http's client and Agent use, so a stream can sit in a keep-alive pool.
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;
  readonly remoteAddress = 'rtcp';
  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (cb) this.once('timeout', cb);
    this.armIdle();
    return this;
  }
  private armIdle() {
    clearTimeout(this.idleTimer);
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
      this.idleTimer.unref();
    }
  }
  setNoDelay(_noDelay?: boolean): this { return this; }
  setKeepAlive(_enable?: boolean, _delay?: number): this { return this; }
  ref(): this { return this; }
  unref(): this { return this; }
}
