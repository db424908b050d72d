// The gateway's data plane: the listeners and the per-request routing, driven by a route table the
// control plane pushes (routes.ts). It runs in its own worker thread (data-plane-worker.ts), so app
// traffic does not queue behind the kernel services' event loop, nor they behind it.
//
// Listeners:
//  - `node` (:3180): the zone's HTTP entry on this node: /kapi/<service>, apps by host name
//    (<app>.<zone host>) or path (/apps/<app>/…), the control panel's static files at /.
//  - `zone` (TLS): the zone gateway for the outside: host routing as BuckyOS does it (`<app>.<zone host>`,
//    `<app>-<zone host>`; `_` (the bare zone host) and `sys` to the control panel), `/kapi/<service>` by
//    path; only apps the owner exposed, `private` ones behind a session cookie for that app.
//  - `redirect` (plain HTTP, :80): everything to HTTPS, except the page that explains how to trust the
//    zone's certificate authority and the CA certificate itself.
// It authenticates nothing else: every service checks tokens.
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { KrpcError } from '../lib/errors.js';
import { servePanel } from '../lib/static-files.js';
import { GATEWAY_SECRET_HEADER } from '../lib/gateway-secret.js';
import { KAPI, parseKapiPath } from '../api/krpc.js';
import { forward, UpstreamPools } from './proxy.js';
import { ConnectionPools } from './upstream.js';
import type { DialUpstream } from './dial.js';
import { hasTargets, targetKey, WeightedPicker, type AppEntry, type RouteTable, type TargetSet, type WeightedTarget } from './routes.js';
import { serviceKey } from './resolver.js';
import { SessionChecker, SESSION_COOKIE } from './session-check.js';
import { trustPage, TRUST_PATH, CA_PATH } from './trust-page.js';

/** Marks a request one gateway already forwarded, so two nodes with stale routes cannot loop it. */
export const HOP_HEADER = 'x-buckyos-hop';

export type ListenerKind = 'node' | 'zone' | 'redirect';

export interface ListenerConfig {
  kind: ListenerKind;
  host: string;
  port: number;
  /** PEM key and chain; TLS 1.3 only. Required for `zone`. */
  tls?: { key: string; cert: string };
  /** redirect: the HTTPS port to send browsers to (443 is left out of URLs). */
  httpsPort?: number;
}

export interface DataPlaneConfig {
  listeners: ListenerConfig[];
  /** Built control panel (renderer) served at / when present. */
  panelDir?: string;
  /** Sent to verify-hub on this node only (lib/gateway-secret.ts). */
  gatewaySecret?: string;
  /** Fixed answers of the gateway itself, e.g. /health. */
  staticRoutes?: Record<string, { contentType: string; body: string }>;
  /** The zone CA certificate (PEM) offered on the trust page, when the zone certificate comes from the zone CA. */
  caCertPem?: string;
  headersTimeoutMs?: number;
}

interface CompiledTargets { set: TargetSet; picker: WeightedPicker }

/** Only this gateway may vouch for a client address, and a loop guard is ours to set. */
const DROP_OURS: ReadonlySet<string> = new Set([GATEWAY_SECRET_HEADER, HOP_HEADER]);
const DROP_SECRET: ReadonlySet<string> = new Set([GATEWAY_SECRET_HEADER]);
const APP_PATH = /^\/apps\/([a-z0-9_-]+)(\/.*)?$/;
const HOST_LABEL = /^[a-z0-9_-]+$/;
const VALID_HOST = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sendError(req: http.IncomingMessage, res: http.ServerResponse, status: number, err: KrpcError) {
  const wantsJson = req.method === 'POST' || req.url?.startsWith(`${KAPI}/`) || /json/.test(req.headers.accept ?? '');
  if (wantsJson) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: err.toWire(), sys: [0] }));
  } else {
    const title = status === 404 ? 'Not found' : status === 400 || status === 421 ? 'Bad request' : 'Service unavailable';
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>${status}</title><h1>${title}</h1><p>${escapeHtml(err.toWire())}</p>`);
  }
}

/** The Host header without its port, lowercased; undefined when it is missing or malformed. */
function hostName(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const h = hostHeader.toLowerCase();
  if (h.length > 255 || !VALID_HOST.test(h)) return undefined;
  return h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1) : h.replace(/:\d+$/, '');
}

/** BuckyOS's get_app_info_from_req: the zone host itself is `_`; `X.<zone>` and `X-<zone>` are `X`. */
export function hostKey(host: string, zoneHost: string | undefined): string | undefined {
  if (!zoneHost) return undefined;
  const zone = zoneHost.toLowerCase();
  if (host === zone) return '_';
  for (const sep of ['.', '-']) {
    const suffix = sep + zone;
    if (host.endsWith(suffix)) {
      const name = host.slice(0, -suffix.length);
      if (HOST_LABEL.test(name)) return name;
    }
  }
  return undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class DataPlane {
  private table: RouteTable = { version: 0, services: {}, apps: {}, serviceHosts: {} };
  private services = new Map<string, CompiledTargets>();
  private apps = new Map<string, CompiledTargets & { entry: AppEntry }>();
  private readonly pools: UpstreamPools;
  private readonly conns: ConnectionPools;
  private readonly servers: Array<{ server: http.Server; config: ListenerConfig }> = [];
  private readonly sessions: SessionChecker;
  private readonly secretExtra: string[];
  private readonly headersTimeoutMs: number;

  constructor(private readonly config: DataPlaneConfig, dial: DialUpstream) {
    this.pools = new UpstreamPools(dial);
    this.conns = new ConnectionPools(dial);
    this.secretExtra = config.gatewaySecret ? [GATEWAY_SECRET_HEADER, config.gatewaySecret] : [];
    this.headersTimeoutMs = config.headersTimeoutMs ?? 30_000;
    this.sessions = new SessionChecker(() => this.services.get('verify-hub')?.set, this.pools);
  }

  /** Compiles a pushed table: one picker per target set, pools kept for targets that stay. */
  setRoutes(table: RouteTable) {
    const keys = new Set<string>();
    const compile = (set: TargetSet): CompiledTargets => {
      for (const t of [...set.primary, ...set.backup]) keys.add(targetKey(t.target));
      return { set, picker: new WeightedPicker(set.primary) };
    };
    const services = new Map<string, CompiledTargets>();
    for (const [k, set] of Object.entries(table.services)) if (hasTargets(set)) services.set(k, compile(set));
    const apps = new Map<string, CompiledTargets & { entry: AppEntry }>();
    for (const [k, entry] of Object.entries(table.apps)) if (hasTargets(entry)) apps.set(k, { ...compile(entry), entry });
    this.table = table;
    this.services = services;
    this.apps = apps;
    this.pools.retain(keys);
    this.conns.retain(keys);
  }

  setCertificate(kind: ListenerKind, tls: { key: string; cert: string }) {
    for (const { server, config } of this.servers) {
      if (config.kind === kind && server instanceof https.Server) server.setSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.3' });
    }
  }

  async listen(): Promise<number[]> {
    const ports: number[] = [];
    for (const l of this.config.listeners) {
      const handler = l.kind === 'node' ? this.nodeRequest : l.kind === 'zone' ? this.zoneRequest : this.redirectRequest;
      let server: http.Server;
      if (l.kind === 'zone') {
        if (!l.tls) throw new KrpcError('INVALID_PARAMS', 'the zone listener needs a certificate');
        server = https.createServer({ key: l.tls.key, cert: l.tls.cert, minVersion: 'TLSv1.3' }, (req, res) => handler(req, res, l));
      } else {
        server = http.createServer((req, res) => handler(req, res, l));
      }
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      server.requestTimeout = 0; // streaming bodies (package uploads) may take long; idle sockets are still reaped
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host, () => { server.off('error', reject); resolve(); });
      });
      this.servers.push({ server, config: l });
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map(({ server }) => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); })));
    this.pools.destroy();
    this.conns.destroy();
  }

  private order(c: CompiledTargets): WeightedTarget[] {
    const primary = c.picker.order();
    return c.set.backup.length === 0 ? primary : [...primary, ...c.set.backup];
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, c: CompiledTargets, path: string, what: string, vouch: boolean) {
    const order = this.order(c);
    const hop = req.headers[HOP_HEADER] !== undefined;
    const viaGateway = order[0].target.viaGateway;
    if (viaGateway && hop) return sendError(req, res, 502, new KrpcError('UNAVAILABLE', `${what} is not on this node either; the zone's routes disagree, try again shortly`));
    const extra = viaGateway ? [HOP_HEADER, '1'] : vouch ? this.secretExtra : [];
    forward(req, res, order, this.conns, viaGateway ? DROP_OURS : DROP_SECRET, {
      path: viaGateway ? (req.url ?? '/') : path, extra, headersTimeoutMs: this.headersTimeoutMs,
      onError: (status, reason) => sendError(req, res, status, new KrpcError(status === 504 ? 'TIMEOUT' : 'UNAVAILABLE', `${what}: ${reason}`)),
    });
  }

  private service(req: http.IncomingMessage, res: http.ServerResponse, name: string) {
    const key = serviceKey(name);
    const c = this.services.get(key);
    if (!c) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no service "${name}" in this zone`));
    this.send(req, res, c, req.url ?? '/', `service "${name}"`, key === 'verify-hub');
  }

  private panel(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    const dir = this.config.panelDir;
    if (dir && (req.method === 'GET' || req.method === 'HEAD')) {
      servePanel(dir, req, res).then((served) => {
        if (!served) sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`));
      }, () => sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`)));
      return;
    }
    sendError(req, res, 404, new KrpcError('NOT_FOUND', `nothing at ${path}`));
  }

  private readonly nodeRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const fixed = this.config.staticRoutes?.[path];
    if (fixed) { res.writeHead(200, { 'content-type': fixed.contentType }); res.end(fixed.body); return; }

    if (!path.startsWith(`${KAPI}/`)) {
      const host = hostName(req.headers.host);
      const key = host && hostKey(host, this.table.zoneHost);
      if (key && key !== '_' && key !== 'sys' && !this.table.serviceHosts[key]) {
        const app = this.apps.get(key);
        if (!app) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no app "${key}" is installed in this zone`));
        return this.send(req, res, app, url, `app "${key}"`, false);
      }
    }
    const kapi = parseKapiPath(path);
    if (kapi) return this.service(req, res, kapi.service);

    const appPath = APP_PATH.exec(path);
    if (appPath) {
      if (!appPath[2]) { res.writeHead(308, { location: `/apps/${appPath[1]}/` }); return res.end(); }
      const app = this.apps.get(appPath[1]);
      if (!app) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no app "${appPath[1]}" is installed in this zone`));
      return this.send(req, res, app, url.slice(`/apps/${appPath[1]}`.length), `app "${appPath[1]}"`, false);
    }
    this.panel(req, res, path);
  };

  private readonly zoneRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const host = hostName(req.headers.host);
    if (!host) return sendError(req, res, 400, new KrpcError('INVALID_PARAMS', 'the request has no valid Host header'));
    const key = hostKey(host, this.table.zoneHost);
    if (!key) return sendError(req, res, 421, new KrpcError('NOT_FOUND', `${host} is not a name of this zone`));
    if (path === TRUST_PATH || path === CA_PATH) return this.trust(req, res, path);

    const kapi = parseKapiPath(path);
    if (kapi) return this.service(req, res, kapi.service);
    if (key === '_' || key === 'sys' || this.table.serviceHosts[key]) return this.panel(req, res, path);

    const app = this.apps.get(key);
    // An app the owner did not expose is no different from no app at all, seen from outside.
    if (!app || !app.entry.exposed) return sendError(req, res, 404, new KrpcError('NOT_FOUND', `no app "${key}" is reachable at this address`));
    if (app.entry.access === 'public') return this.send(req, res, app, url, `app "${key}"`, false);
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const toLogin = () => {
      const port = (req.socket as TLSSocket).localPort;
      const sys = `sys.${this.table.zoneHost}${port && port !== 443 ? `:${port}` : ''}`;
      const here = `https://${req.headers.host}${url}`;
      res.writeHead(302, { location: `https://${sys}/login?redirect_url=${encodeURIComponent(here)}`, 'cache-control': 'no-store' });
      res.end();
    };
    if (!token) return toLogin();
    this.sessions.check(token, app.entry.appId).then((ok) => {
      if (ok) this.send(req, res, app, url, `app "${key}"`, false);
      else toLogin();
    }, () => sendError(req, res, 503, new KrpcError('UNAVAILABLE', 'sign-in cannot be checked right now; try again shortly')));
  };

  private trust(req: http.IncomingMessage, res: http.ServerResponse, path: string) {
    if (!this.config.caCertPem) return sendError(req, res, 404, new KrpcError('NOT_FOUND', 'this zone uses a certificate your browser already trusts'));
    if (path === CA_PATH) {
      res.writeHead(200, { 'content-type': 'application/x-pem-file', 'content-disposition': 'attachment; filename="zone-ca.crt"' });
      res.end(this.config.caCertPem);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
    res.end(trustPage(this.config.caCertPem, this.table.zoneHost ?? '', req.headers['accept-language']));
  }

  private readonly redirectRequest = (req: http.IncomingMessage, res: http.ServerResponse, l: ListenerConfig) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const host = hostName(req.headers.host);
    if (!host) return sendError(req, res, 400, new KrpcError('INVALID_PARAMS', 'the request has no valid Host header'));
    if (!hostKey(host, this.table.zoneHost)) return sendError(req, res, 421, new KrpcError('NOT_FOUND', `${host} is not a name of this zone`));
    // The trust page must be readable before the CA is trusted; the page says how to check the CA.
    if (path === TRUST_PATH || path === CA_PATH) return this.trust(req, res, path);
    const port = l.httpsPort && l.httpsPort !== 443 ? `:${l.httpsPort}` : '';
    res.writeHead(308, { location: `https://${host}${port}${url}` });
    res.end();
  };
}

export { hostName, cookieValue };
