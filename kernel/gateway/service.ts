// The node gateway (:3180): the zone's HTTP entry on this node. Routes /kapi/<service> to the
// service's instance, apps by host name (<app>.<zone host>) or path (/apps/<app>/…), and serves the
// control panel's static files. It authenticates nothing itself: every service checks tokens.
import http from 'node:http';
import { resolve } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { servePanel } from '../lib/static-files.js';
import type { Logger } from '../lib/log.js';
import { proxyRequest } from './proxy.js';
import { serviceKey, type GatewayResolver, type Upstream } from './resolver.js';
import { GATEWAY_SECRET_HEADER } from '../lib/gateway-secret.js';
import { KAPI, parseKapiPath } from '../api/krpc.js';

/** Marks a request one gateway already forwarded, so two nodes with stale routes cannot loop it. */
const HOP_HEADER = 'x-buckyos-hop';

export interface GatewayOptions {
  host: string;
  port: number;
  log: Logger;
  resolver: GatewayResolver;
  /** Zone host name for host-based app routing (e.g. "home.example" → notes.home.example). */
  zoneHost?: string;
  /** Built control panel (renderer) served at / when present. */
  staticDir?: string;
  /**
   * This node's gateway secret (lib/gateway-secret.ts), added to the requests forwarded to verify-hub on
   * this node so it believes the X-Forwarded-For we set. Never sent to apps or to other nodes.
   */
  gatewaySecret?: string;
  /** Extra routes answered by the gateway itself (e.g. /health). */
  local?: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;
}

export interface RunningGateway {
  port: number;
  stop(): Promise<void>;
}

function sendError(req: http.IncomingMessage, res: http.ServerResponse, status: number, err: KrpcError) {
  const wantsJson = req.method === 'POST' || req.url?.startsWith(`${KAPI}/`) || /json/.test(req.headers.accept ?? '');
  if (wantsJson) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.toWire(), sys: [0] }));
  } else {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${status}</title><h1>${status === 404 ? 'Not found' : 'Service unavailable'}</h1><p>${escapeHtml(err.message)}</p>`);
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function appFromHost(hostHeader: string | undefined, zoneHost: string | undefined): string | undefined {
  if (!hostHeader || !zoneHost) return undefined;
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  const zone = zoneHost.toLowerCase();
  for (const sepChar of ['.', '-']) {
    const suffix = sepChar + zone;
    if (host.endsWith(suffix)) {
      const name = host.slice(0, -suffix.length);
      if (/^[a-z0-9_-]+$/.test(name)) return name;
    }
  }
  return undefined;
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const panelDir = opts.staticDir ? resolve(opts.staticDir) : undefined;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const onError = (status: 502 | 503 | 504, reason: string) =>
      sendError(req, res, status, new KrpcError(status === 504 ? 'TIMEOUT' : 'UNAVAILABLE', reason));

    const hop = req.headers[HOP_HEADER] !== undefined;
    // Only this gateway may vouch for a client address.
    delete req.headers[GATEWAY_SECRET_HEADER];
    const forward = (up: Upstream, upstreamPath: string, what: string, vouch = false) => {
      if (up.viaGateway && hop) return sendError(req, res, 502, new KrpcError('UNAVAILABLE', `${what} is not on this node either; the zone's routes disagree, try again shortly`));
      if (up.viaGateway) req.headers[HOP_HEADER] = '1';
      else if (vouch && opts.gatewaySecret) req.headers[GATEWAY_SECRET_HEADER] = opts.gatewaySecret;
      proxyRequest(req, res, up, { path: up.viaGateway ? url : upstreamPath, onError: (s, r) => onError(s, `${what}: ${r}`) });
    };

    const local = opts.local?.[path];
    if (local) return local(req, res);

    const hostApp = appFromHost(req.headers.host, opts.zoneHost);
    if (hostApp && !path.startsWith(`${KAPI}/`)) {
      const up = opts.resolver.app(hostApp);
      if (!up) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no app "${hostApp}" is installed in this zone`));
      return forward(up, url, `app "${hostApp}"`);
    }

    const kapi = parseKapiPath(path);
    if (kapi) {
      const up = opts.resolver.service(kapi.service);
      if (!up) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no service "${kapi.service}" in this zone`));
      return forward(up, url, `service "${kapi.service}"`, serviceKey(kapi.service) === 'verify-hub');
    }

    const appPath = /^\/apps\/([a-z0-9_-]+)(\/.*)?$/.exec(path);
    if (appPath) {
      if (!appPath[2]) { res.writeHead(308, { location: `/apps/${appPath[1]}/` }); return res.end(); }
      const up = opts.resolver.app(appPath[1]);
      if (!up) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no app "${appPath[1]}" is installed in this zone`));
      const rest = url.slice(`/apps/${appPath[1]}`.length);
      return forward(up, rest, `app "${appPath[1]}"`);
    }

    if (panelDir && (req.method === 'GET' || req.method === 'HEAD')) {
      servePanel(panelDir, req, res).then((served) => {
        if (!served) sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`));
      }, () => sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`)));
      return;
    }
    sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`));
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // streaming bodies (package uploads) may take long; idle sockets are still reaped

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as { port: number }).port;
  opts.log.info('gateway listening', { host: opts.host, port });
  return {
    port,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
