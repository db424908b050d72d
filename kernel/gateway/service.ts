// The node gateway (:3180) and, where configured, the zone gateway (TLS, plus plain HTTP that
// redirects to it): the zone's HTTP entry on this node. Split in two:
//  - the control plane (here, on the kernel's event loop): follows the resolvers (bootstrap table,
//    nodes/<self>/gateway_info) and the certificate provider, compiles a route table on every change
//    and pushes it to the data plane;
//  - the data plane (data-plane.ts), in its own worker thread by default: the listeners, routing and
//    proxying with pooled keep-alive upstream connections, so app traffic and the kernel's services
//    do not wait for each other.
// It authenticates nothing itself but app page cookies on the zone gateway: every service checks tokens.
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { GatewayResolver } from './resolver.js';
import { DataPlane, type DataPlaneConfig, type ListenerConfig } from './data-plane.js';
import { dialTcp, loadDialer, type DialerModule, type DialUpstream } from './dial.js';
import type { RouteTable } from './routes.js';
import type { DataPlaneWorkerData, FromDataPlane, ToDataPlane } from './data-plane-worker.js';
import type { CertificateProvider } from './tls/provider.js';

export interface ZoneGatewayOptions {
  /** Address of the external listeners (default: the gateway's host). */
  host?: string;
  /** HTTPS port (443 where the OS allows; 0 = any free port). */
  httpsPort: number;
  /** Plain HTTP port that redirects to HTTPS (80 where the OS allows); omit for none. */
  httpPort?: number;
  /** Where the zone certificate comes from (tls/provider.ts): the zone CA by default, ACME or the owner's. */
  certificates: CertificateProvider;
}

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
  /** Fixed answers of the gateway itself (e.g. /health). */
  staticRoutes?: Record<string, { contentType: string; body: string }>;
  /** Data-plane threads: 1 (default) = its own worker thread; 0 = on the caller's event loop. */
  workers?: 0 | 1;
  /** How the data plane connects to upstreams (dial.ts); plain TCP by default. */
  dialer?: DialerModule;
  /** Only with `workers: 0`: a dial function on the caller's thread. */
  dialUpstream?: DialUpstream;
  /** The zone gateway's external listeners; none when absent. */
  zone?: ZoneGatewayOptions;
}

export interface RunningGateway {
  port: number;
  /** The zone gateway's HTTPS and HTTP ports, when it runs. */
  zonePorts?: { https: number; http?: number };
  stop(): Promise<void>;
}

/**
 * The data-plane thread: the bundle's gateway/data-plane-worker.mjs (dist/kernel), or, run from the
 * TypeScript sources, the .ts entry beside this file loaded through tsx (a worker has its own loaders).
 */
function startWorker(workerData: DataPlaneWorkerData): Worker | undefined {
  const here = import.meta.url;
  const opts = { workerData, name: 'gateway-data-plane' };
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./data-plane-worker.ts', here).href;
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...opts, eval: true });
  }
  // The kernel bundle (dist/kernel) has the entry under gateway/; another bundle (dist/electron) may
  // carry its own copy there, or find the kernel bundle's beside it.
  for (const rel of ['./gateway/data-plane-worker.mjs', '../kernel/gateway/data-plane-worker.mjs']) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return new Worker(url, opts);
  }
  return undefined;
}

function compile(resolver: GatewayResolver, zoneHost: string | undefined, version: number): RouteTable {
  const s = resolver.snapshot();
  return { version, zoneHost: zoneHost ?? s.zoneHost, services: s.services, apps: s.apps, serviceHosts: s.serviceHosts };
}

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  let workers = opts.workers ?? 1;
  if (opts.dialUpstream && workers !== 0) throw new KrpcError('INVALID_PARAMS', 'a dialUpstream function needs workers: 0; give a dialer module for the worker thread');
  const listeners: ListenerConfig[] = [{ kind: 'node', host: opts.host, port: opts.port }];
  let certificates: CertificateProvider | undefined;
  let version = 1;
  const table = () => compile(opts.resolver, opts.zoneHost, version++);
  // Changes that happen while the data plane starts (gateway_info read for the first time, say).
  let changedWhileStarting = false;
  opts.resolver.onChange(() => { changedWhileStarting = true; });
  let names = '';
  /**
   * The exposed apps' names for the certificate, when they changed: `*.<zone>` covers them except under
   * a one-label zone name. `<app>-<zone>` is routed but outside the zone CA's name constraint: that form
   * needs a certificate from ACME or the owner.
   */
  const certNames = async (t: RouteTable) => {
    const zone = t.zoneHost;
    if (!certificates?.setExtraNames || !zone) return;
    const list = Object.entries(t.apps).filter(([, a]) => a.exposed).map(([k]) => `${k}.${zone}`).sort();
    if (list.join(' ') === names) return;
    names = list.join(' ');
    await certificates.setExtraNames(list);
  };
  const first = table();
  if (opts.zone) {
    certificates = opts.zone.certificates;
    const zoneHost = opts.zone.host ?? opts.host;
    await certNames(first);
    const cert = await certificates.current();
    listeners.push({ kind: 'zone', host: zoneHost, port: opts.zone.httpsPort, tls: { key: cert.keyPem, cert: cert.certPem } });
    if (opts.zone.httpPort !== undefined) listeners.push({ kind: 'redirect', host: zoneHost, port: opts.zone.httpPort, httpsPort: opts.zone.httpsPort });
  }
  const config: DataPlaneConfig = {
    listeners, panelDir: opts.staticDir ? resolve(opts.staticDir) : undefined, gatewaySecret: opts.gatewaySecret,
    staticRoutes: opts.staticRoutes, caCertPem: certificates?.trustAnchorPem?.(),
  };

  let push: (m: ToDataPlane) => void;
  let ports: number[];
  let stopPlane: () => Promise<void>;
  let worker: Worker | undefined;
  if (workers === 1) {
    worker = startWorker({ config, dialer: opts.dialer, table: first });
    if (!worker) {
      opts.log.warn('the gateway data plane runs on the main thread: this bundle has no data-plane-worker.mjs');
      workers = 0;
    }
  }
  if (workers === 0 || !worker) {
    const plane = new DataPlane(config, opts.dialUpstream ?? (opts.dialer ? await loadDialer(opts.dialer) : dialTcp));
    plane.setRoutes(first);
    ports = await plane.listen();
    push = (m) => { if (m.type === 'routes') plane.setRoutes(m.table); else if (m.type === 'cert') plane.setCertificate(m.kind, m.tls); };
    stopPlane = () => plane.close();
  } else {
    const started = await new Promise<FromDataPlane>((res, rej) => {
      worker.once('message', res);
      worker.once('error', rej);
      worker.once('exit', (code) => rej(new KrpcError('INTERNAL', `the gateway's data plane exited (${code}) while starting`)));
    });
    if (started.type !== 'listening') {
      await worker.terminate();
      const message = started.type === 'failed' ? started.message : 'did not start';
      throw Object.assign(new KrpcError('UNAVAILABLE', `the gateway could not listen: ${message}`), { errno: started.type === 'failed' ? started.code : undefined });
    }
    ports = started.ports;
    worker.on('error', (e) => opts.log.error('the gateway data plane failed', { error: String(e) }));
    push = (m) => worker.postMessage(m);
    stopPlane = async () => {
      const stopped = new Promise<void>((r) => { worker.on('message', (m: FromDataPlane) => { if (m.type === 'stopped') r(); }); worker.once('exit', () => r()); });
      worker.postMessage({ type: 'stop' } satisfies ToDataPlane);
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 5000))]);
      await worker.terminate();
    };
  }

  // Route changes arrive in bursts (a scheduler pass, several setService calls): push once per tick.
  let queued = false;
  let stopped = false;
  const flush = () => {
    queued = false;
    if (stopped) return;
    const t = table();
    push({ type: 'routes', table: t });
    certNames(t).catch((e: unknown) => opts.log.warn('the zone certificate could not be reissued for the exposed apps', { error: String(e) }));
  };
  opts.resolver.onChange(() => {
    if (queued || stopped) return;
    queued = true;
    queueMicrotask(flush);
  });
  if (changedWhileStarting) flush();
  certificates?.onChange?.((cert) => { if (!stopped) push({ type: 'cert', kind: 'zone', tls: { key: cert.keyPem, cert: cert.certPem } }); });

  const port = ports[0];
  const zonePorts = opts.zone ? { https: ports[1], ...(opts.zone.httpPort !== undefined ? { http: ports[2] } : {}) } : undefined;
  opts.log.info('gateway listening', { host: opts.host, port, workers, ...(zonePorts ? { zoneHttps: zonePorts.https, zoneHttp: zonePorts.http } : {}) });
  return {
    port,
    zonePorts,
    stop: async () => { stopped = true; await stopPlane(); },
  };
}
