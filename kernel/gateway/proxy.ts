// Streaming HTTP/1.1 reverse proxy of the data plane (no buffering of bodies): one keep-alive
// connection pool per upstream target, connections opened through the pluggable dialer, weighted
// choice among a route's primary targets and failover to the next target, then to the backups, when
// a connection cannot be opened (no request byte was sent yet, so nothing is sent twice).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { DialUpstream } from './dial.js';
import { KrpcError } from '../lib/errors.js';
import { targetKey, type UpstreamTarget, type WeightedTarget } from './routes.js';

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

/** The client's headers minus the dropped ones, as a flat list, plus X-Forwarded-For/-Host and `extra`. */
function forwardedHeaders(req: http.IncomingMessage, extra: string[], drop: ReadonlySet<string>): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  let host = '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (lower === 'host') host = raw[i + 1];
    if (DROP_REQUEST.has(lower) || drop.has(lower)) continue;
    out.push(name, raw[i + 1]);
  }
  // Overwritten, never appended to: what a client says it forwards for is not ours to pass on.
  out.push('x-forwarded-for', req.socket.remoteAddress ?? '', 'x-forwarded-host', host);
  for (let i = 0; i < extra.length; i++) out.push(extra[i]);
  return out;
}

export function forward(
  req: http.IncomingMessage, res: http.ServerResponse, order: WeightedTarget[], pools: UpstreamPools,
  drop: ReadonlySet<string>, opts: ForwardOptions,
): void {
  const headers = forwardedHeaders(req, opts.extra, drop);
  let settled = false;
  let attempt = 0;
  const fail = (status: 502 | 503 | 504, reason: string) => {
    if (settled) return;
    settled = true;
    if (res.headersSent) res.destroy();
    else opts.onError(status, reason);
  };
  const tries = Math.min(MAX_TRIES, order.length);

  const tryTarget = () => {
    const target = order[attempt].target;
    let connected = false;
    const up = http.request({ method: req.method, path: opts.path, headers: headers as unknown as http.OutgoingHttpHeaders, agent: pools.agentFor(target), setHost: false });
    const timer = setTimeout(() => { fail(504, 'the service did not answer in time'); up.destroy(); }, opts.headersTimeoutMs);
    current = up;
    up.once('socket', () => {
      // A pooled socket is already connected; a new one is handed over by the dialer once connected.
      connected = true;
      req.pipe(up);
    });
    up.once('response', (upRes) => {
      clearTimeout(timer);
      if (settled) { upRes.resume(); return; }
      settled = true;
      const raw = upRes.rawHeaders;
      const out: string[] = [];
      for (let i = 0; i < raw.length; i += 2) if (!DROP_RESPONSE.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
      res.writeHead(upRes.statusCode ?? 502, out);
      upRes.pipe(res);
      upRes.once('error', () => res.destroy());
    });
    up.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (settled) return;
      // Nothing was sent on a connection that never opened: the next target may take the request.
      if (!connected && attempt + 1 < tries) {
        attempt++;
        tryTarget();
        return;
      }
      if (e instanceof KrpcError) fail(502, e.message);
      else if (e.code === 'ECONNREFUSED') fail(503, 'the service is not running');
      else if (e.code === 'ETIMEDOUT') fail(504, 'the service could not be reached in time');
      else fail(502, 'the service connection failed');
    });
  };
  let current: http.ClientRequest | undefined;
  res.once('close', () => { if (!res.writableFinished) current?.destroy(); });
  req.once('aborted', () => { settled = true; });
  tryTarget();
}
