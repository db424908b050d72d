// One request/response exchange with an upstream over a pooled keep-alive connection, without Node's
// http client: the request head is one string, the response head is parsed once, and the body is
// framed by content-length or chunked encoding so the connection can be reused. Node's ClientRequest,
// Agent and IncomingMessage cost more per request than the whole rest of the proxy (bench/gateway).
import type { Duplex } from 'node:stream';
import type { DialUpstream } from './dial.js';
import { targetKey, type UpstreamTarget } from './routes.js';

const DIAL_TIMEOUT_MS = 10_000;
const IDLE_TIMEOUT_MS = 60_000;
const MAX_IDLE_PER_TARGET = 64;
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF2 = Buffer.from('\r\n\r\n');

interface Conn { stream: Duplex; idleTimer?: NodeJS.Timeout; onIdleEnd?: () => void }

/** Idle keep-alive connections per target, kept across route-table changes while the target stays. */
export class ConnectionPools {
  private readonly idle = new Map<string, Conn[]>();
  constructor(private readonly dial: DialUpstream) {}

  /** A pooled connection (reused: true) or a newly dialed one. */
  async acquire(target: UpstreamTarget, key = targetKey(target)): Promise<{ conn: Conn; reused: boolean }> {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      clearTimeout(conn.idleTimer);
      if (conn.onIdleEnd) { conn.stream.off('close', conn.onIdleEnd); conn.stream.off('error', conn.onIdleEnd); conn.stream.off('data', conn.onIdleEnd); }
      if (!conn.stream.destroyed) return { conn, reused: true };
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), DIAL_TIMEOUT_MS);
    try {
      return { conn: { stream: await this.dial(target, ac.signal) }, reused: false };
    } finally {
      clearTimeout(timer);
    }
  }

  release(key: string, conn: Conn) {
    const list = this.idle.get(key) ?? [];
    if (list.length >= MAX_IDLE_PER_TARGET || conn.stream.destroyed) { conn.stream.destroy(); return; }
    // An idle connection that closes, errs or sends anything is dropped.
    conn.onIdleEnd = () => { conn.stream.destroy(); const l = this.idle.get(key); const i = l?.indexOf(conn) ?? -1; if (l && i >= 0) l.splice(i, 1); };
    conn.stream.once('close', conn.onIdleEnd);
    conn.stream.once('error', conn.onIdleEnd);
    conn.stream.once('data', conn.onIdleEnd);
    // Flowing while idle, so a close or stray bytes are noticed (it may be paused from backpressure).
    conn.stream.resume();
    conn.idleTimer = setTimeout(conn.onIdleEnd, IDLE_TIMEOUT_MS);
    conn.idleTimer.unref?.();
    list.push(conn);
    this.idle.set(key, list);
  }

  retain(keys: Set<string>) {
    for (const [key, list] of this.idle) if (!keys.has(key)) { for (const c of list) { clearTimeout(c.idleTimer); c.stream.destroy(); } this.idle.delete(key); }
  }

  destroy() { this.retain(new Set()); }
}

export interface UpstreamHead {
  status: number;
  /** flat name, value list as received */
  headers: string[];
}

export interface ExchangeHandlers {
  /** The response head (1xx heads are skipped). */
  onHead(head: UpstreamHead): void;
  onData(chunk: Buffer): void;
  /** The response body ended; `reusable` when the connection may carry another request. */
  onEnd(): void;
  onError(e: Error, beforeHead: boolean): void;
}

type BodyMode = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/**
 * Reads one response from `stream` (HEAD requests carry no body). Returns a function that stops
 * reading. `done(reusable)` is called once the response is complete or failed.
 */
export function readResponse(stream: Duplex, isHead: boolean, h: ExchangeHandlers, done: (reusable: boolean) => void): () => void {
  let head: Buffer | undefined;
  let mode: BodyMode | undefined;
  let keepAlive = true;
  let finished = false;
  // chunked decoding state
  let chunkLeft = -1; // -1: reading a size line; >0: data bytes left; 0 after data: expecting CRLF
  let pending: Buffer | undefined;
  let trailers = false;

  const finish = (reusable: boolean) => {
    if (finished) return;
    finished = true;
    cleanup();
    done(reusable && keepAlive);
  };
  const fail = (e: Error) => {
    if (finished) return;
    finished = true;
    cleanup();
    h.onError(e, mode === undefined);
    done(false);
  };

  const parseHead = (buf: Buffer, end: number): boolean => {
    const text = buf.toString('latin1', 0, end);
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]);
    if (!m) { fail(new Error('the service sent no HTTP response')); return false; }
    const status = Number(m[2]);
    const headers: string[] = [];
    let length = -1;
    let chunked = false;
    keepAlive = m[1] === '1';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'content-length') length = Number(value);
      else if (lower === 'transfer-encoding') chunked = /chunked\s*$/i.test(value);
      else if (lower === 'connection') { if (/close/i.test(value)) keepAlive = false; else if (/keep-alive/i.test(value)) keepAlive = true; }
      headers.push(name, value);
    }
    if (status < 200) return true; // 1xx: another head follows
    if (isHead || status === 204 || status === 304) mode = { kind: 'none' };
    else if (chunked) mode = { kind: 'chunked' };
    else if (length >= 0 && Number.isSafeInteger(length)) mode = { kind: 'length', left: length };
    else { mode = { kind: 'close' }; keepAlive = false; }
    h.onHead({ status, headers });
    return true;
  };

  const chunkedBody = (buf: Buffer) => {
    const data = pending ? Buffer.concat([pending, buf]) : buf;
    pending = undefined;
    let i = 0;
    while (i < data.length) {
      if (chunkLeft > 0) {
        const n = Math.min(chunkLeft, data.length - i);
        h.onData(data.subarray(i, i + n));
        chunkLeft -= n;
        i += n;
        continue;
      }
      const nl = data.indexOf('\r\n', i, 'latin1');
      if (nl < 0) { pending = data.subarray(i); if (pending.length > MAX_HEAD_BYTES) fail(new Error('bad chunked body')); return; }
      const line = data.toString('latin1', i, nl);
      i = nl + 2;
      if (trailers) {
        if (line === '') { h.onEnd(); finish(true); return; }
        continue;
      }
      if (chunkLeft === 0) { chunkLeft = -1; if (line !== '') { fail(new Error('bad chunked body')); return; } continue; }
      const size = parseInt(line, 16);
      if (!Number.isFinite(size) || size < 0) { fail(new Error('bad chunked body')); return; }
      if (size === 0) { trailers = true; continue; }
      chunkLeft = size;
    }
    // A chunk that ended exactly at the buffer end still owes its CRLF: chunkLeft === 0 keeps that state.
  };

  const onBody = (buf: Buffer) => {
    const m = mode!;
    if (m.kind === 'length') {
      if (buf.length >= m.left) {
        if (m.left > 0) h.onData(m.left === buf.length ? buf : buf.subarray(0, m.left));
        m.left = 0;
        h.onEnd();
        finish(true);
      } else {
        m.left -= buf.length;
        h.onData(buf);
      }
    } else if (m.kind === 'chunked') chunkedBody(buf);
    else if (m.kind === 'close') h.onData(buf);
  };

  const onData = (chunk: Buffer) => {
    if (finished) return;
    if (mode !== undefined) { onBody(chunk); return; }
    let buf = head ? Buffer.concat([head, chunk]) : chunk;
    for (;;) {
      const end = buf.indexOf(CRLF2);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) { fail(new Error('the response head is too large')); return; }
        head = buf;
        return;
      }
      head = undefined;
      if (!parseHead(buf, end)) return;
      buf = buf.subarray(end + 4);
      if (mode !== undefined) break;
    }
    const m = mode as BodyMode | undefined; // set by parseHead (TypeScript cannot see through the closure)
    if (!m) return;
    if (m.kind === 'none') { h.onEnd(); finish(buf.length === 0); return; }
    if (m.kind === 'length' && m.left === 0) { h.onEnd(); finish(buf.length === 0); return; }
    if (buf.length > 0) onBody(buf);
  };
  const onEnd = () => {
    if (mode?.kind === 'close') { h.onEnd(); finish(false); return; }
    fail(Object.assign(new Error('the service closed the connection'), { code: 'ECONNRESET' }));
  };
  const onError = (e: Error) => fail(e);
  const cleanup = () => {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('close', onEnd);
    stream.off('error', onError);
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('close', onEnd);
  stream.on('error', onError);
  // A connection paused for backpressure during its last response stays paused (the client's drain
  // may never come once that response ended), and a 'data' listener does not resume a paused stream:
  // without this the answer sat unread until the headers timeout (30 s stalls in CI).
  stream.resume();
  return () => fail(new Error('aborted'));
}
