// Streaming HTTP reverse proxy (no buffering of bodies) with a keep-alive pool and timeouts.
import http from 'node:http';
import type { Upstream } from './resolver.js';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 60_000 });

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

export interface ProxyOptions {
  /** Path (with query) to request upstream. */
  path: string;
  /** Give up when the upstream sends no response headers within this time. */
  headersTimeoutMs?: number;
  onError(status: 502 | 503 | 504, reason: string): void;
}

export function proxyRequest(req: http.IncomingMessage, res: http.ServerResponse, up: Upstream, opts: ProxyOptions): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  // Overwritten, never appended to: what a client says it forwards for is not ours to pass on.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  headers['x-forwarded-host'] = req.headers.host ?? '';

  let settled = false;
  const fail = (status: 502 | 503 | 504, reason: string) => {
    if (settled) return;
    settled = true;
    if (res.headersSent) res.destroy();
    else opts.onError(status, reason);
  };

  const upstreamReq = http.request({ host: up.host, port: up.port, method: req.method, path: opts.path, headers, agent });
  const timer = setTimeout(() => { fail(504, 'the service did not answer in time'); upstreamReq.destroy(); }, opts.headersTimeoutMs ?? 30_000);

  upstreamReq.on('response', (upRes) => {
    clearTimeout(timer);
    if (settled) { upRes.resume(); return; }
    settled = true;
    const outHeaders: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) outHeaders[k] = v;
    res.writeHead(upRes.statusCode ?? 502, outHeaders);
    upRes.pipe(res);
    upRes.on('error', () => res.destroy());
  });
  upstreamReq.on('error', (e: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    fail(e.code === 'ECONNREFUSED' ? 503 : 502, e.code === 'ECONNREFUSED' ? 'the service is not running' : 'the service connection failed');
  });
  req.on('aborted', () => upstreamReq.destroy());
  res.on('close', () => { if (!res.writableFinished) upstreamReq.destroy(); });
  req.pipe(upstreamReq);
}
