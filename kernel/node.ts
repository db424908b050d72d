// The headless node entry (NAS, router, a second PC): the same kernel code as the OOD with a smaller
// composition (spec 30 §5 "non-OOD"). A node keeps no zone state: it reaches system-config through
// the OOD's gateway with device-signed tokens. Start order:
//   not joined → enrolment server only (:3182) until the owner enrols it (kernel/join/), then boot;
//   joined     → gateway (:3180, routes from nodes/<self>/gateway_info, /kapi/system_config → the OOD)
//                → node-daemon (device info, instance reports, apps bound to the node's internal address).
import { createLogger, type Logger } from './lib/log.js';
import { KrpcError } from './lib/errors.js';
import { isActivated } from './lib/identity/files.js';
import { verifyOwnerSigned } from './lib/identity/document-jwt.js';
import type { ZoneDocument } from './lib/identity/documents.js';
import { parseOodString } from './lib/identity/ood-string.js';
import { dataPaths, secureDataFolder, type DataPaths } from './lib/paths.js';
import { DEFAULT_PORTS, internalHostFor, type PortMap } from './lib/ports.js';
import { loadNodeIdentity, deviceTokenSource } from './node-identity.js';
import { runSetupThenBoot, type Lifecycle, type Phase, type StopStack } from './lifecycle.js';
import { watchForRemoval } from './join/removal.js';
import { resetNode } from './join/reset.js';
import { startDeviceDaemon, startDeviceGateway, type BootingNode } from './node-services.js';
import { lateStack, startDeviceRtcp } from './rtcp/node.js';
import { tuningFromEnv, type NodeTuning } from './node-tuning.js';
import { SystemConfigClient } from './system-config/client.js';
import { StaticResolver } from './gateway/resolver.js';
import { normalizeZoneUrl, readJoinedZone, saveMovedOod } from './join/files.js';
import { startOodSeeker } from './lib/ood-announcement.js';
import { NODE_FINDER_PORT } from './api/devices.js';
import type { DiscoveryOptions, JoinServer } from './join/service.js';
import { KAPI_PATHS } from './api/krpc.js';

export { resetNode };

export interface NodeOptions {
  dataDir: string;
  /** Address the gateway (and, while unjoined, the enrolment server) binds; default 127.0.0.1. */
  host?: string;
  /** The OOD's gateway, e.g. http://192.168.1.10:3180; default the address given at enrolment. */
  oodUrl?: string;
  log?: Logger;
  ports?: Partial<PortMap>;
  /** Folder of unpublished app packages, used when the zone's repo does not have a package (dev mode). */
  localPkgsDir?: string;
  /** Timing knobs; unset ones come from the environment (node-tuning.ts), then the defaults. */
  tuning?: NodeTuning;
  /** How often a joined node asks its OOD whether the owner removed it (ms; default 5000). */
  removalCheckMs?: number;
  /** LAN discovery while unjoined (UDP 2980); false turns it off. */
  discovery?: DiscoveryOptions | false;
}

export type NodePhase = Phase<'waiting-to-join'>;

export interface NodeHandle {
  readonly paths: DataPaths;
  phase(): NodePhase;
  /** While waiting to join: the code the owner confirms when enrolling this device. */
  joinCode(): string | undefined;
  /** While waiting to join: the pairing code and the buckyos:// URL the device shows (and its QR holds). */
  pairing(): { code: string; url: string } | undefined;
  /** Resolves when the node runs (after enrolment, if it had to wait for one). */
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startNode(opts: NodeOptions): Promise<NodeHandle> {
  const paths = dataPaths(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const ports: PortMap = { ...DEFAULT_PORTS, ...opts.ports };
  const log = opts.log ?? createLogger('node');
  await secureDataFolder(paths);

  let joinCode: string | undefined;
  let server: JoinServer | undefined;
  let life: Lifecycle<'waiting-to-join'>;
  let stopped = false;
  // Removed by the owner (issue 11): stop, forget the zone (data kept or wiped as the owner chose) and
  // wait to join again, with a new key.
  const onRemoved = async (wipe: boolean) => {
    if (stopped) return;
    log.warn('the owner removed this device from its zone; returning to waiting-to-join', { wipe });
    await life.stop();
    await resetNode(paths, { wipe });
    if (!stopped) life = await launch();
  };
  // The OOD moved (issue 14): the seeker verified and saved its new address; restart the node's
  // services against it (the flag given at start no longer applies).
  let oodFlag = opts.oodUrl;
  const onOodMoved = async () => {
    if (stopped) return;
    oodFlag = undefined;
    await life.stop();
    if (!stopped) life = await launch();
  };
  const launch = () => runSetupThenBoot({
    isSetUp: () => isActivated(paths),
    setupPhase: 'waiting-to-join',
    setupName: 'enrolment',
    startSetupServer: async (onJoined) => {
      // Loaded only while waiting: an enrolled node never needs the enrolment server (nor fastify).
      const { startJoinServer } = await import('./join/service.js');
      server = await startJoinServer({ paths, host, port: ports.activation, log, onJoined, discovery: opts.discovery });
      joinCode = server.joinCode;
      return server;
    },
    boot: (started) => {
      joinCode = undefined;
      server = undefined;
      return bootNode({
        paths, host, ports, log, opts: { ...opts, oodUrl: oodFlag }, started,
        onRemoved: (wipe) => void onRemoved(wipe).catch((e) => log.error('reset after removal failed', { err: (e as Error).message })),
        onOodMoved: () => void onOodMoved().catch((e) => log.error('reconnecting to the moved OOD failed', { err: (e as Error).message })),
      });
    },
    log,
  });
  life = await launch();
  return {
    paths,
    phase: () => life.phase(),
    get running() { return life.running; },
    stop: async () => { stopped = true; await life.stop(); },
    joinCode: () => joinCode,
    pairing: () => (server ? { code: server.pairingCode(), url: server.pairingUrl() } : undefined),
  };
}

interface BootContext {
  paths: DataPaths;
  host: string;
  ports: PortMap;
  log: Logger;
  opts: NodeOptions;
  started: StopStack;
  onRemoved: (wipe: boolean) => void;
  onOodMoved: () => void;
}

async function bootNode({ paths, host, ports, log, opts, started, onRemoved, onOodMoved }: BootContext): Promise<void> {
  const id = await loadNodeIdentity(paths);
  if (((id.zoneBoot.oods as string[] | undefined) ?? []).some((o) => parseOodString(o).name === id.deviceName))
    throw new KrpcError('FAILED_PRECONDITION', `${id.deviceName} is an OOD of its zone; start it with "buckyos ood"`);
  const joined = await readJoinedZone(paths);
  const oodUrl = normalizeZoneUrl(opts.oodUrl ?? joined?.ood_url ?? missingOodUrl(), 'OOD URL');
  const zone = await verifyOwnerSigned<ZoneDocument>(id.zoneDocumentJwt, id.ownerPublicJwk, { what: 'zone document' });
  const internalHost = internalHostFor(host);
  const tuning = { ...tuningFromEnv(), ...opts.tuning };
  const kvFor = (appid: string) => new SystemConfigClient(`${oodUrl}${KAPI_PATHS.systemConfig}`, deviceTokenSource(id, appid));
  const node: BootingNode = { id, paths, host, internalHost, log, kvFor, started };

  // Before the scheduler has written this node's gateway_info, system-config is still reachable: it
  // lives behind the OOD's gateway (spec 30 §5.4, the boot node_gateway_info).
  const ood = new URL(oodUrl);
  const bootstrap = new StaticResolver();
  bootstrap.setService('system-config', { host: ood.hostname.replace(/^\[|\]$/g, ''), port: Number(ood.port || 80), viaGateway: true });
  const rtcp = lateStack();
  const gateway = await startDeviceGateway(node, { port: ports.gateway, bootstrap, zoneHost: zone.hostname, rtcp: rtcp.promise });
  rtcp.resolve(await startDeviceRtcp(node, { port: ports.rtcp, gatewayPort: gateway.port, relay: false }));

  // The zone's repo is behind the OOD's gateway.
  await startDeviceDaemon(node, { repoUrl: oodUrl, localPkgsDir: opts.localPkgsDir, reportIntervalMs: tuning.reportIntervalMs });
  await started.push(watchForRemoval({ id, zone, oodUrl, log, intervalMs: opts.removalCheckMs ?? 5000, onRemoved }));
  // Issue 14: when the OOD stops answering at oodUrl, look for its signed announcement on the LAN.
  const discovery = opts.discovery === false ? undefined : opts.discovery ?? {};
  if (discovery && (!/^127\./.test(host) || discovery.announceTo)) {
    const oods = ((id.zoneBoot.oods as string[] | undefined) ?? []).map((o) => parseOodString(o).name);
    const seeker = await startOodSeeker({
      port: discovery.port ?? NODE_FINDER_PORT, currentUrl: oodUrl, lastIat: joined?.ood_announced_at ?? 0, log, probeTo: discovery.announceTo,
      trust: { ownerPublicJwk: id.ownerPublicJwk, zoneDid: id.zoneDid, oods },
      onMoved: (url, iat) => void saveMovedOod(paths, url, iat).then(onOodMoved, (e) => log.error('cannot save the OOD\'s new address', { err: (e as Error).message })),
    });
    if (seeker) await started.push(seeker);
  }
  log.info('node running', { gateway: `http://${host}:${gateway.port}`, zone: id.zoneDid, node: id.deviceName, ood: oodUrl });
}

function missingOodUrl(): never {
  throw new KrpcError('FAILED_PRECONDITION', 'this node does not know where its OOD is; start it with --ood http://<ood address>:3180');
}
