// The OOD entry (composition root): one Node process runs every kernel service of the zone's
// primary node, each behind its own port and kRPC endpoint (ARCHITECTURE.md "One kernel process").
// Start order matters:
//   unactivated → activation server only (:3182); after commit it stops and we boot in-process.
//   activated   → store → system-config (everything reads from it) → first boot (one exec_tx, only if
//                 boot/config is missing) → verify-hub (needs its key from boot) → repo (nodes install
//                 from it) → gateway (the entry everyone reaches services through) → scheduler →
//                 node-daemon (reports and apps) → app-manager (resumes unfinished installs and upgrades,
//                 which need all of the above).
import { BOOT_CONFIG_KEY, SCHEDULER_HISTORY_PREFIX, passwordKey } from './api/keys.js';
import { dataPaths, secureDataFolder, type DataPaths } from './lib/paths.js';
import { writeFileAtomic } from './lib/fs-atomic.js';
import { DEFAULT_PORTS, DEFAULT_ZONE_GATEWAY_PORTS, internalHostFor, type PortMap } from './lib/ports.js';
import { createLogger, type Logger } from './lib/log.js';
import { isActivated } from './lib/identity/files.js';
import { generateEd25519 } from './lib/identity/keys.js';
import { nowSeconds } from './lib/identity/jwt.js';
import { loadNodeIdentity, deviceTokenSource, type NodeIdentity } from './node-identity.js';
import { runSetupThenBoot, type Phase, type StopStack } from './lifecycle.js';
import { startDeviceDaemon, startDeviceGateway, type BootingNode } from './node-services.js';
import { lateStack, startDeviceRtcp } from './rtcp/node.js';
import { openLogStore } from './system-config/store/log-store.js';
import { startSystemConfig } from './system-config/service.js';
import type { Principal } from './system-config/principal.js';
import { SystemConfigClient } from './system-config/client.js';
import { startVerifyHub } from './verify-hub/service.js';
import { startActivationServer } from './activation/service.js';
import { buildBootKeys } from './scheduler/boot.js';
import { startScheduler } from './scheduler/service.js';
import { startRepoServer } from './repo-server/service.js';
import { rbacAuthorize } from './repo-server/access.js';
import { startAppManager } from './app-manager/service.js';
import { startControlPanel } from './control-panel/service.js';
import { repoOverKrpc } from './app-manager/repo.js';
import { StaticResolver } from './gateway/resolver.js';
import { KrpcError } from './lib/errors.js';
import { loadGatewaySecret } from './lib/gateway-secret.js';
import { tuningFromEnv, type NodeTuning } from './node-tuning.js';
import { ensurePortsFree, type PortNeed } from './lib/port-check.js';
import { KAPI_PATHS } from './api/krpc.js';
import { openEnrolmentDelegate, startOodDevices, type OodDiscoveryOptions } from './devices/service.js';
import { RepoClient } from './repo-server/client.js';

export interface OodOptions {
  dataDir: string;
  /** Address the gateway and activation bind to (default 127.0.0.1). */
  host?: string;
  ports?: Partial<PortMap>;
  log?: Logger;
  /** Folder of unpublished app packages, used when the zone's repo does not have a package (dev mode). */
  localPkgsDir?: string;
  /** Built control panel to serve at the gateway root. */
  staticDir?: string;
  /** The zone gateway's ports (default 443 and 80; `false` = no zone gateway, httpPort `undefined` = no redirect). */
  zoneGateway?: { httpsPort: number; httpPort?: number } | false;
  /** Timing knobs; unset ones come from the environment (node-tuning.ts), then the defaults. */
  tuning?: NodeTuning;
  /** LAN discovery of unjoined devices (UDP 2980); false turns it off. */
  discovery?: OodDiscoveryOptions | false;
}

export type OodPhase = Phase<'activating'>;

export interface OodHandle {
  readonly paths: DataPaths;
  phase(): OodPhase;
  /** Resolves when the OOD is running (after activation, if it had to wait for one). */
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startOod(opts: OodOptions): Promise<OodHandle> {
  const paths = dataPaths(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const ports: PortMap = { ...DEFAULT_PORTS, ...opts.ports };
  const log = opts.log ?? createLogger('ood');
  await secureDataFolder(paths);

  const life = await runSetupThenBoot({
    isSetUp: () => isActivated(paths),
    setupPhase: 'activating',
    setupName: 'activation',
    startSetupServer: async (onActivated) => {
      const activation = await startActivationServer({
        paths, host, port: ports.activation, log, onActivated, staticDir: opts.staticDir,
        // A second OOD on a host whose ports are taken is refused before it is given an identity.
        preflight: () => ensurePortsFree(kernelPortNeeds(host, ports), 'this device cannot become an OOD here'),
      });
      log.info('waiting for activation', { url: `http://${host}:${activation.port}` });
      return activation;
    },
    boot: (started) => bootKernel({ paths, host, ports, log, opts, started }),
    log,
  });
  return { paths, ...life };
}

interface BootContext {
  paths: DataPaths;
  host: string;
  ports: PortMap;
  log: Logger;
  opts: OodOptions;
  started: StopStack;
}

/** Every port the running OOD listens on (port 0 means "any free port": nothing to check). */
export function kernelPortNeeds(host: string, ports: PortMap): PortNeed[] {
  const internal = internalHostFor(host);
  const needs: PortNeed[] = [
    { host, port: ports.gateway, what: 'gateway' },
    { host: internal, port: ports.systemConfig, what: 'system-config' },
    { host: internal, port: ports.verifyHub, what: 'verify-hub' },
    { host: internal, port: ports.scheduler, what: 'scheduler' },
    { host: internal, port: ports.repo, what: 'repo' },
    { host: internal, port: ports.appManager, what: 'app-manager' },
    { host: internal, port: ports.controlPanel, what: 'control-panel' },
  ];
  return needs.filter((n) => n.port !== 0);
}

async function bootKernel({ paths, host, ports, log, opts, started }: BootContext): Promise<void> {
  await ensurePortsFree(kernelPortNeeds(host, ports), 'the OOD cannot start');
  const id = await loadNodeIdentity(paths);
  const internalHost = internalHostFor(host);
  const tuning = { ...tuningFromEnv(), ...opts.tuning };
  const store = await openLogStore(paths.kv, { log: log.child('kv') });
  await started.push({ stop: () => store.close() });

  const systemConfig = await startSystemConfig({
    store, host: internalHost, port: ports.systemConfig, log: log.child('system-config'), zoneDid: id.zoneDid,
    owner: { did: id.ownerDid, publicJwk: id.ownerPublicJwk },
    device: { name: id.deviceName, did: id.deviceDid, publicJwk: id.devicePublicJwk },
  });
  await started.push(systemConfig);
  const kvUrl = `http://${internalHost}:${systemConfig.port}${KAPI_PATHS.systemConfig}`;
  const kvFor = (appid: string) => new SystemConfigClient(kvUrl, deviceTokenSource(id, appid));
  const node: BootingNode = { id, paths, host, internalHost, log, kvFor, started };

  await firstBootIfNeeded(id, kvFor('node-daemon'), log);
  // The OOD's enrolment key (issue 11) is made with the rest of first boot's files, before the
  // start config is finalised, so etc/ does not change once the OOD answers.
  const enrolmentDelegate = await openEnrolmentDelegate(id, paths);
  await dropStoredAdminVerifier(id, paths, kvFor('node-daemon'), log);

  // Shared by the gateway and verify-hub through etc/, so either could move to its own process.
  const gatewaySecret = await loadGatewaySecret(paths.etc);
  const verifyHub = await startVerifyHub({
    host: internalHost, port: ports.verifyHub, log: log.child('verify-hub'), kv: kvFor('verify-hub'),
    zoneDid: id.zoneDid, ownerPublicJwk: id.ownerPublicJwk, gatewaySecret, sudoTtlS: tuning.sudoTtlS,
  });
  await started.push(verifyHub);

  const repo = await startRepoServer<Principal>({
    host: internalHost, port: ports.repo, log: log.child('repo'), root: paths.repo,
    verifyToken: (token) => systemConfig.authenticate(token),
    authorize: rbacAuthorize((principal: Principal, resource, action) => systemConfig.enforce(principal, resource, action)),
  });
  await started.push(repo);
  const repoUrl = `http://${internalHost}:${repo.port}`;

  const bootstrap = new StaticResolver();
  bootstrap.setService('system-config', { host: internalHost, port: systemConfig.port });
  bootstrap.setService('verify-hub', { host: internalHost, port: verifyHub.port });
  bootstrap.setService('repo-service', { host: internalHost, port: repo.port });
  const rtcp = lateStack();
  const gateway = await startDeviceGateway(node, { port: ports.gateway, bootstrap, zoneHost: id.startConfig?.access_hostname, staticDir: opts.staticDir, gatewaySecret, rtcp: rtcp.promise,
    zone: opts.zoneGateway === false ? undefined : opts.zoneGateway ?? { httpsPort: DEFAULT_ZONE_GATEWAY_PORTS.https, httpPort: DEFAULT_ZONE_GATEWAY_PORTS.http } });
  rtcp.resolve(await startDeviceRtcp(node, { port: ports.rtcp, gatewayPort: gateway.port, relay: true }));

  const schedulerKv = kvFor('scheduler');
  const scheduler = await startScheduler({
    host: internalHost, port: ports.scheduler, log: log.child('scheduler'),
    loop: { kv: schedulerKv, goneAfterS: tuning.nodeGoneAfterS },
    readKey: async (key) => (await schedulerKv.get(key))?.value,
    keptRevisions: async () => (await schedulerKv.list(SCHEDULER_HISTORY_PREFIX)).map(Number).filter(Number.isInteger),
    authenticate: (token) => systemConfig.authenticate(token),
    enforce: (principal, resource, action) => systemConfig.enforce(principal, resource, action),
  });
  await started.push(scheduler);

  // Devices (issue 11): the LAN finder, the enrolment delegate and the device.* methods of the panel.
  const devices = await startOodDevices({
    id, paths, host, gatewayPort: gateway.port, kv: kvFor('control-panel'), repo: new RepoClient(repoUrl, deviceTokenSource(id, 'control-panel')),
    authenticate: (token) => systemConfig.authenticate(token), enforce: (p, resource, action) => systemConfig.enforce(p, resource, action),
    log, discovery: opts.discovery, delegate: enrolmentDelegate,
  });
  await started.push(devices);

  // The panel's own methods; it holds no rights, every call uses the caller's token against system-config.
  const controlPanel = await startControlPanel({
    extraMethods: devices.methods,
    host: internalHost, port: ports.controlPanel, log: log.child('control-panel'), kvUrl, policy: systemConfig.policy, logsDir: paths.logs,
    identity: {
      zone: {
        name: id.startConfig?.access_hostname ?? id.zoneDid, domain: id.startConfig?.access_hostname ?? '', did: id.zoneDid,
        ownerDid: id.ownerDid, userName: id.startConfig?.user_name ?? '', zoneIat: id.file.zone_iat ?? 0,
      },
      device: { name: id.deviceName, did: id.deviceDid, type: String(id.deviceDoc.device_type ?? 'ood'), netId: String(id.deviceDoc.net_id ?? '') },
    },
  });
  await started.push(controlPanel);
  bootstrap.setService('control-panel', { host: internalHost, port: controlPanel.port });

  // Kernel services live in this process; node-daemon reports them like any other instance.
  // The app-manager starts last (it resumes work that needs everything else), so its port arrives later.
  const inProcess = (port: number | Promise<number>) => ({ start: async () => ({ ports: { www: await port } }), stop: async () => {}, running: () => true });
  let appManagerStarted!: (port: number) => void;
  const appManagerPort = new Promise<number>((r) => { appManagerStarted = r; });
  await startDeviceDaemon(node, {
    repoUrl, localPkgsDir: opts.localPkgsDir, reportIntervalMs: tuning.reportIntervalMs,
    kernelServices: {
      'verify-hub': inProcess(verifyHub.port), scheduler: inProcess(scheduler.port), 'system-config': inProcess(systemConfig.port),
      'repo-service': inProcess(repo.port), 'app-manager': inProcess(appManagerPort),
    },
  });

  const appManager = await startAppManager({
    host: internalHost, port: ports.appManager, log: log.child('app-manager'), kvUrl,
    serviceToken: deviceTokenSource(id, 'app-manager'), repo: repoOverKrpc(repoUrl, deviceTokenSource(id, 'app-manager')),
  });
  await started.push(appManager);
  bootstrap.setService('app-manager', { host: internalHost, port: appManager.port });
  appManagerStarted(appManager.port);
  log.info('OOD running', { gateway: `http://${host}:${gateway.port}`, zone: id.zoneDid, node: id.deviceName });
}

/**
 * The admin password verifier in start_config.json is needed once, for first boot; it is
 * password-equivalent, so once the KV holds it (a KV write is acknowledged only after its fsync) the
 * file is rewritten without it. Run at every start, so a crash between the two steps is finished later.
 */
async function dropStoredAdminVerifier(id: NodeIdentity, paths: DataPaths, kv: SystemConfigClient, log: Logger): Promise<void> {
  const start = id.startConfig;
  if (!start?.admin_password_hash) return;
  if (!(await kv.get(passwordKey(start.user_name)))) return;
  const { admin_password_hash: _stored, ...rest } = start;
  await writeFileAtomic(paths.startConfig, `${JSON.stringify(rest, null, 2)}\n`, 0o600);
  id.startConfig = rest;
  log.info('the admin password verifier is in KV now; removed it from etc/start_config.json');
}

/** Spec 20 §boot, ours in one transaction: all keys are created together or not at all. */
async function firstBootIfNeeded(id: NodeIdentity, kv: SystemConfigClient, log: Logger): Promise<void> {
  if (await kv.get(BOOT_CONFIG_KEY)) return;
  if (!id.startConfig) throw new KrpcError('NOT_ACTIVATED', 'this node has no start_config.json; activate it as an OOD first');
  const keys = buildBootKeys({
    startConfig: id.startConfig,
    zoneDocumentJwt: id.zoneDocumentJwt,
    zoneBootConfig: id.zoneBoot,
    ownerDid: id.ownerDid,
    oodNames: [id.deviceName],
    deviceDocJwts: { [id.deviceName]: id.deviceDocJwt },
    verifyHubKey: generateEd25519(),
    now: nowSeconds(),
  });
  const actions = Object.fromEntries(Object.entries(keys).map(([k, value]) => [k, { action: 'create' as const, value }]));
  try {
    await kv.execTx(actions);
    log.info('first boot: zone initialised', { keys: Object.keys(keys).length });
  } catch (e) {
    // Another boot won the race (or a retry after a crash): boot/config existing means booted.
    if (!(await kv.get(BOOT_CONFIG_KEY))) throw e;
  }
}
