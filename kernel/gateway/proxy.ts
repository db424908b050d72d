// Streaming HTTP/1.1 reverse proxy of the data plane (no buffering of bodies): one keep-alive
// connection pool per upstream target, connections opened through the pluggable dialer, weighted
// choice among a route's primary targets and failover to the next target, then to the backups, when
// a connection cannot be opened (no request byte was sent yet, so nothing is sent twice).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { DialUpstream } from './dial.js';
import { discardBody } from '../lib/discard-body.js';
import { KrpcError } from '../lib/errors.js';
import { targetKey, type UpstreamTarget, type WeightedTarget } from './routes.js';
import { readResponse, type ConnectionPools } from './upstream.js';

/** Request headers never forwarded (hop-by-hop, or ours to set). Transfer-encoding is kept: Node re-frames it. */
const DROP_REQUEST = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'x-forwarded-for', 'x-forwarded-host']);
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

const DIAL_TIMEOUT_MS = 10_000;
const MAX_TRIES = 3;

type Socketish = Duplex & { setKeepAlive?: unknown; setNoDelay?: unknown; setTimeout?: unknown; ref?: unknown; unref?: unknown };

/** http.Agent pools need a few net.Socket methods; a tunnel stream may not have them. */
function socketLike(s: Socketish): Duplex {
  const noop = function (this: Duplex) { return this; };
  for (const m of ['setKeepAlive', 'setNoDelay', 'setTimeout', 'ref', 'unref'] as const) if (typeof s[m] !== 'function') (s as unknown as Record<string, unknown>)[m] = noop;
  return s;
}

/** Keep-alive pools, one per target, kept across route-table changes while the target stays. */
export class UpstreamPools {
  private readonly agents = new Map<string, http.Agent>();
  constructor(private readonly dial: DialUpstream) {}

  agentFor(target: UpstreamTarget): http.Agent {
    const key = targetKey(target);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000, scheduling: 'lifo' });
      const dial = this.dial;
      // The agent calls createConnection(options, callback); an async connection goes through the callback.
      (agent as unknown as { createConnection: (o: unknown, cb: (e: Error | null, s?: Duplex) => void) => undefined }).createConnection = (_o, cb) => {
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), DIAL_TIMEOUT_MS);
        dial(target, ac.signal).then((s) => { clearTimeout(timer); cb(null, socketLike(s)); }, (e: Error) => { clearTimeout(timer); cb(e); });
        return undefined;
      };
      this.agents.set(key, agent);
    }
    return agent;
  }

  /** Drops the pools of targets no longer in any route. */
  retain(keys: Set<string>) {
    for (const [key, agent] of this.agents) if (!keys.has(key)) { agent.destroy(); this.agents.delete(key); }
  }

  destroy() { for (const a of this.agents.values()) a.destroy(); this.agents.clear(); }
}

export interface ForwardOptions {
  /** Path (with query) to request upstream. */
  path: string;
  /** Extra request headers (flat name, value list) added after the client's. */
  extra: string[];
  /** Give up when the upstream sends no response headers within this time. */
  headersTimeoutMs: number;
  onError(status: 502 | 503 | 504, reason: string): void;
}

interface RequestHead { lines: string; length: number; chunked: boolean }

/** The client's headers minus the dropped ones, plus X-Forwarded-For/-Host and `extra`, as header lines. */
function requestHead(req: http.IncomingMessage, extra: string[], drop: ReadonlySet<string>): RequestHead {
  const raw = req.rawHeaders;
  let lines = '';
  let host = '';
  let length = 0;
  let chunked = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'host') host = raw[i + 1];
    else if (lower === 'content-length') length = Number(raw[i + 1]);
    else if (lower === 'transfer-encoding') { chunked = true; continue; }
    if (DROP_REQUEST.has(lower) || drop.has(lower)) continue;
    lines += `${name}: ${raw[i + 1]}\r\n`;
  }
  // Overwritten, never appended to: what a client says it forwards for is not ours to pass on.
  lines += `x-forwarded-for: ${req.socket.remoteAddress ?? ''}\r\nx-forwarded-host: ${host}\r\n`;
  if (chunked) lines += 'transfer-encoding: chunked\r\n';
  for (let i = 0; i < extra.length; i += 2) lines += `${extra[i]}: ${extra[i + 1]}\r\n`;
  return { lines, length: chunked ? 0 : length, chunked };
}

const keyOf = (t: UpstreamTarget & { key?: string }) => (t.key ??= targetKey(t));

const ZERO_CHUNK = '0\r\n\r\n';

export function forward(
  req: http.IncomingMessage, res: http.ServerResponse, order: WeightedTarget[], pools: ConnectionPools,
  drop: ReadonlySet<string>, opts: ForwardOptions,
): void {
  const head = requestHead(req, opts.extra, drop);
  const method = req.method ?? 'GET';
  const text = `${method} ${opts.path} HTTP/1.1\r\n${head.lines}\r\n`;
  const hasBody = head.chunked || head.length > 0;
  let settled = false;
  let bodyTouched = false;
  let attempt = 0;
  let current: Duplex | undefined;
  let stopReading: (() => void) | undefined;
  const tries = Math.min(MAX_TRIES, order.length);
  const fail = (status: 502 | 503 | 504, reason: string) => {
    if (settled) return;
    settled = true;
    if (res.headersSent) res.destroy();
    else opts.onError(status, reason);
  };
  const failWith = (e: NodeJS.ErrnoException) => {
    if (e instanceof KrpcError) fail(502, e.message);
    else if (e.code === 'ECONNREFUSED') fail(503, 'the service is not running');
    else if (e.code === 'ETIMEDOUT' || e.name === 'AbortError') fail(504, 'the service could not be reached in time');
    else fail(502, 'the service connection failed');
  };
  res.once('close', () => {
    if (res.writableFinished) return;
    settled = true;
    stopReading?.();
    current?.destroy();
  });

  /** Streams the request body to `s`; the function returned stops that and drops the rest (see discardBody). */
  const sendBody = (s: Duplex, done: () => void): (() => void) => {
    bodyTouched = true;
    const onData = (c: Buffer) => {
      const ok = head.chunked ? (s.write(`${c.length.toString(16)}\r\n`), s.write(c), s.write('\r\n')) : s.write(c);
      if (!ok) { req.pause(); s.once('drain', () => req.resume()); }
    };
    const onEnd = () => { req.off('data', onData); if (head.chunked) s.write(ZERO_CHUNK); done(); };
    req.on('data', onData);
    req.once('end', onEnd);
    return () => { req.off('data', onData); req.off('end', onEnd); discardBody(req); };
  };

  const tryTarget = (): void => {
    const target = order[attempt].target;
    const key = keyOf(target);
    pools.acquire(target, key).then(({ conn, reused }) => {
      if (settled) { pools.release(key, conn); return; }
      const s = conn.stream;
      current = s;
      let reqDone = !hasBody;
      s.write(text);
      const stopBody = hasBody ? sendBody(s, () => { reqDone = true; }) : undefined;
      const timer = setTimeout(() => { fail(504, 'the service did not answer in time'); s.destroy(); }, opts.headersTimeoutMs);
      stopReading = readResponse(s, method === 'HEAD', {
        onHead: (h) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          const out: string[] = [];
          const raw = h.headers;
          for (let i = 0; i < raw.length; i += 2) {
            const lower = raw[i].toLowerCase();
            if (!DROP_RESPONSE.has(lower) && lower !== 'transfer-encoding') out.push(raw[i], raw[i + 1]);
          }
          res.writeHead(h.status, out);
        },
        onData: (c) => { if (!res.write(c)) { s.pause(); res.once('drain', () => s.resume()); } },
        onEnd: () => { res.end(); },
        onError: (e, beforeHead) => {
          clearTimeout(timer);
          if (!beforeHead) { res.destroy(); return; }
          // A pooled connection the service had closed meanwhile: nothing reached it, ask again.
          if (reused && !bodyTouched && !settled) { tryTarget(); return; }
          failWith(e);
        },
      }, (reusable) => {
        if (reusable && reqDone && !s.destroyed) pools.release(key, conn);
        else {
          s.destroy();
          if (!reqDone) stopBody?.();
        }
      });
    }, (e: NodeJS.ErrnoException) => {
      if (settled) return;
      // Nothing was sent on a connection that never opened: the next target may take the request.
      if (attempt + 1 < tries) { attempt++; tryTarget(); return; }
      failWith(e);
    });
  };
  tryTarget();
}
