// What every node of a zone starts, OOD or not (ood.ts, node.ts): its gateway, which answers /health
// itself and routes by the entry's bootstrap routes first, then by nodes/<self>/gateway_info; and its
// node-daemon, which installs packages from the zone's repo (the dev folder as fallback).
import type { DataPaths } from './lib/paths.js';
import type { Logger } from './lib/log.js';
import { deviceTokenSource, signDeviceToken, type NodeIdentity } from './node-identity.js';
import type { StopStack } from './lifecycle.js';
import type { SystemConfigClient } from './system-config/client.js';
import { startGateway, type RunningGateway } from './gateway/service.js';
import { chainResolvers, type StaticResolver } from './gateway/resolver.js';
import { GatewayInfoResolver } from './gateway/gateway-info-resolver.js';
import { portProblem } from './lib/port-check.js';
import { startNodeDaemon, type KernelRunItem, type NodeDaemon } from './node-daemon/daemon.js';
import { firstFoundPkgSource, localDirPkgSource } from './node-daemon/pkg-source.js';
import { openPkgEnv } from './pkg/env.js';
import { repoPkgSource } from './node-daemon/repo-pkg-source.js';
import { parseOodString } from './lib/identity/ood-string.js';
import { startDialBridge, type BridgeDialer } from './rtcp/dial-bridge.js';
import { rtcpDialerModule } from './rtcp/node.js';
import type { DialerModule } from './gateway/dial.js';

const isOod = (id: NodeIdentity) => ((id.zoneBoot.oods as string[] | undefined) ?? []).some((o) => parseOodString(o).name === id.deviceName);

export interface BootingNode {
  id: NodeIdentity;
  paths: DataPaths;
  /** The address the gateway binds. */
  host: string;
  /** Where this node's services and apps listen, and where the gateway looks for them. */
  internalHost: string;
  log: Logger;
  kvFor: (appid: string) => SystemConfigClient;
  started: StopStack;
}

export interface DeviceGatewayOptions {
  port: number;
  bootstrap: StaticResolver;
  zoneHost?: string;
  staticDir?: string;
  /** Where verify-hub runs on this node: the secret that lets it believe our X-Forwarded-For. */
  gatewaySecret?: string;
  /** The zone gateway (TLS for the outside); off when absent. A port that cannot be bound turns it (or its HTTP redirect) off with a warning. */
  zone?: { httpsPort: number; httpPort?: number };
  /**
   * This node's rtcp stack, started after the gateway (it needs the gateway's port): `rtcp://` routes to
   * other nodes go through it, from the data-plane worker over a loopback dial bridge (rtcp/dial-bridge.ts).
   */
  rtcp?: Promise<BridgeDialer>;
}

/** The data plane's dialer: `rtcp://` targets through the node's stack, the rest plain TCP. */
async function rtcpDialer(n: BootingNode, stack: Promise<BridgeDialer>): Promise<DialerModule | undefined> {
  const module = rtcpDialerModule();
  if (!module) {
    n.log.child('gateway').warn('this bundle has no rtcp dialer for the gateway: other nodes cannot be reached from here');
    return undefined;
  }
  const bridge = await startDialBridge({ openStream: async (target) => (await stack).openStream(target) }, n.internalHost);
  await n.started.push(bridge);
  return { module, options: { bridge: { host: bridge.host, port: bridge.port, secret: bridge.secret } } };
}

/** The zone gateway's listeners and certificate, or undefined (with a warning) when its HTTPS port cannot be bound. */
async function zoneGatewayFor(n: BootingNode, o: DeviceGatewayOptions) {
  if (!o.zone || !o.zoneHost) return undefined;
  const log = n.log.child('gateway');
  const https = await portProblem(n.host, o.zone.httpsPort);
  if (https) {
    log.warn('the zone gateway is off: its HTTPS port cannot be bound; choose another with --zone-https-port', { host: n.host, port: o.zone.httpsPort, problem: https });
    return undefined;
  }
  let httpPort = o.zone.httpPort;
  const http = httpPort === undefined ? undefined : await portProblem(n.host, httpPort);
  if (http) {
    log.warn('the zone gateway has no HTTP redirect: its port cannot be bound; choose another with --zone-http-port', { host: n.host, port: httpPort, problem: http });
    httpPort = undefined;
  }
  // Loaded only when the zone gateway runs (the X.509 library is not needed otherwise).
  const { ZoneCaProvider } = await import('./gateway/tls/zone-ca.js');
  const certificates = new ZoneCaProvider({ etcDir: n.paths.etc, zoneHost: o.zoneHost });
  await n.started.push({ stop: () => certificates.stop() });
  return { httpsPort: o.zone.httpsPort, httpPort, certificates };
}

export async function startDeviceGateway(n: BootingNode, o: DeviceGatewayOptions): Promise<RunningGateway> {
  const derived = new GatewayInfoResolver({ kv: n.kvFor('cyfs-gateway'), nodeName: n.id.deviceName, localHost: n.internalHost, log: n.log.child('gateway-info') });
  await n.started.push(derived);
  const gateway = await startGateway({
    host: n.host, port: o.port, log: n.log.child('gateway'), resolver: chainResolvers(o.bootstrap, derived),
    zoneHost: o.zoneHost, staticDir: o.staticDir, gatewaySecret: o.gatewaySecret, zone: await zoneGatewayFor(n, o),
    dialer: o.rtcp ? await rtcpDialer(n, o.rtcp) : undefined,
    // zone and role let an owner's `buckyos activate` aimed at an activated device say what it already is.
    staticRoutes: { '/health': { contentType: 'application/json', body: JSON.stringify({ ok: true, node: n.id.deviceName, zone: n.id.zoneDid, role: isOod(n.id) ? 'ood' : 'node' }) } },
  });
  await n.started.push(gateway);
  return gateway;
}

export interface DeviceDaemonOptions {
  /** The zone's repo: the OOD's own repo server, or the OOD's gateway from another node. */
  repoUrl: string;
  localPkgsDir?: string;
  reportIntervalMs?: number;
  kernelServices?: Record<string, KernelRunItem>;
}

export async function startDeviceDaemon(n: BootingNode, o: DeviceDaemonOptions): Promise<NodeDaemon> {
  const { id, paths, log } = n;
  const daemon = await startNodeDaemon({
    nodeName: id.deviceName, nodeDid: id.deviceDid, paths, log: log.child('node-daemon'), kv: n.kvFor('node-daemon'),
    // Packages come from the zone's repo, only the chunks this node lacks.
    pkgSource: firstFoundPkgSource(
      repoPkgSource({ repoUrl: o.repoUrl, token: deviceTokenSource(id, 'node-daemon'), env: await openPkgEnv(paths.pkgs), log: log.child('pkg') }),
      localDirPkgSource(o.localPkgsDir ?? paths.pkgs),
    ),
    kernelServices: o.kernelServices,
    signBootstrapToken: ({ appid, sub }) => signDeviceToken(id, appid, sub),
    zoneConfigJson: JSON.stringify({ zone_document: id.zoneDocumentJwt }),
    thisDeviceJson: JSON.stringify(id.deviceDoc),
    deviceDoc: id.deviceDoc,
    // Apps bind where the gateway's resolver looks for them; other nodes route to our gateway's address.
    bindHost: n.internalHost,
    advertiseIps: n.host === '0.0.0.0' || n.host === '::' ? [] : [n.host],
    reportIntervalMs: o.reportIntervalMs,
  });
  await n.started.push(daemon);
  return daemon;
}
