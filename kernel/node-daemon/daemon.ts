// The node-daemon: makes this node run what nodes/<self>/config asks for, and says what it runs.
// Same code on the desktop OOD (inside the kernel process) and on headless NAS/router nodes.
//
// A convergence pass reads the config and hands every instance its target; instances then deploy,
// start, restart and stop on their own (app-instance.ts, kernel-instance.ts), so a slow install
// never holds up the next pass. Passes run on every change of the config (watch, debounced) and
// every 30 s as a safety net, one at a time.
import { randomUUID } from 'node:crypto';
import { describeError, isKrpcError } from '../lib/errors.js';
import { OutageLog } from '../lib/outage-log.js';
import { secureDataFolder, type DataPaths } from '../lib/paths.js';
import type { Logger } from '../lib/log.js';
import { deviceInfoKey, nodeConfigKey } from '../api/keys.js';
import { AppInstance, type AppRuntimeContext, type InstanceStatus, type SignBootstrapToken } from './app-instance.js';
import { detectAppIsolation } from './app-isolation.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { detectContainerSupport } from './container-runtime.js';
import { buildDeviceInfo, sampleDisk, sampleHost } from './device-info.js';
import { KernelInstance, type KernelRunItem } from './kernel-instance.js';
import type { NodeKv } from './kv.js';
import { AppEntryError, parseNodeConfig, platformSlot, resolveAppTarget, type AppTarget, type NodeConfig } from './node-config.js';
import type { PkgSource } from './pkg-source.js';
import { reclaimOrphans } from './process-runtime.js';
import type { ReportingNode } from './report.js';
import { DEFAULT_ROTATION, type RotationPolicy } from '../lib/rotating-log.js';
import type { Clock } from '../lib/clock.js';

export type { InstanceStatus } from './app-instance.js';
export type { KernelRunItem } from './kernel-instance.js';

export interface NodeDaemonOptions {
  nodeName: string;
  nodeDid: string;
  paths: DataPaths;
  log: Logger;
  kv: NodeKv;
  pkgSource: PkgSource;
  /** kernel services this node's kernel hosts, by service name */
  kernelServices?: Record<string, KernelRunItem>;
  signBootstrapToken: SignBootstrapToken;
  zoneConfigJson: string;
  thisDeviceJson: string;
  /** the decoded DeviceDocument; its fields head devices/<self>/info */
  deviceDoc: Record<string, unknown>;
  /** the address apps bind (BUCKYOS_BIND); default 127.0.0.1 */
  bindHost?: string;
  /** addresses other nodes reach this node's gateway at (devices/<self>/info ips, first = primary route) */
  advertiseIps?: string[];
  /** BUCKYOS_HOST_GATEWAY; default the bind address */
  hostGateway?: string;
  /** device info heartbeat and instance health probes (a report is written only when it changes); default 10 s */
  reportIntervalMs?: number;
  /** convergence pass without a change; default 30 s (the watch brings every change at once) */
  safetyPassMs?: number;
  debounceMs?: number;
  /** long-poll length of one watch call (system-config client default when absent) */
  watchTimeoutMs?: number;
  /** re-read interval while watching fails (system-config restarting or without watch); default 1 s */
  pollIntervalMs?: number;
  /** how long an app may take to write its port file; default 30 s */
  portWaitMs?: number;
  /** SIGTERM → SIGKILL; default 5 s */
  stopGraceMs?: number;
  rotation?: RotationPolicy;
  backoff?: BackoffPolicy;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
}

export interface NodeDaemon {
  /** Stops everything this daemon started; reports are left in state "stopped". */
  stop(): Promise<void>;
  /** One convergence pass now (queued behind a running one). */
  converge(): Promise<void>;
  instances(): InstanceStatus[];
}

export async function startNodeDaemon(o: NodeDaemonOptions): Promise<NodeDaemon> {
  const log = o.log.child('node-daemon');
  const nowMs = o.now ?? Date.now;
  const bindHost = o.bindHost ?? '127.0.0.1';
  const node: ReportingNode = { name: o.nodeName, did: o.nodeDid, sessionId: randomUUID() };
  const configKey = nodeConfigKey(o.nodeName);
  const stopGraceMs = o.stopGraceMs ?? 5000;
  const reportIntervalMs = o.reportIntervalMs ?? 10_000;

  await secureDataFolder(o.paths);
  const isolation = await detectAppIsolation(o.paths);
  (isolation.kind === 'none' ? log.warn : log.info)('app isolation', { isolation: isolation.kind, detail: isolation.detail });
  const orphans = await reclaimOrphans(o.paths.run, stopGraceMs, log);
  if (orphans.ignored.length) log.info('ignored pid records of processes this daemon did not start', { instances: orphans.ignored });
  const containerEngine = (await detectContainerSupport()).engine;
  const supportContainer = containerEngine !== undefined && o.deviceDoc.support_container !== false;

  const appCtx: AppRuntimeContext = {
    node, paths: o.paths, isolation, log, kv: o.kv, pkgSource: o.pkgSource,
    signBootstrapToken: o.signBootstrapToken,
    zoneConfigJson: o.zoneConfigJson,
    thisDeviceJson: o.thisDeviceJson,
    bindHost,
    hostGateway: o.hostGateway ?? bindHost,
    rotation: o.rotation ?? DEFAULT_ROTATION,
    backoff: o.backoff ?? DEFAULT_BACKOFF,
    portWaitMs: o.portWaitMs ?? 30_000,
    stopGraceMs,
    nowMs,
  };
  const apps = new Map<string, AppInstance>();
  const kernel = new Map<string, KernelInstance>();
  let stopped = false;

  const forgetWhenIdle = <T extends { idle: boolean }>(map: Map<string, T>, id: string, inst: T, done: Promise<void>, close?: () => Promise<void>) =>
    void done.then(() => {
      if (inst.idle && map.get(id) === inst) {
        map.delete(id);
        void close?.();
      }
    });

  const convergeApps = (cfg: NodeConfig) => {
    const seen = new Set<string>();
    for (const [instanceId, entry] of Object.entries(cfg.apps)) {
      const started = entry.target_state === 'started';
      let target: AppTarget | undefined;
      let refusal: AppEntryError | undefined;
      try {
        target = resolveAppTarget(instanceId, entry, { name: o.nodeName, supportContainer, slot: platformSlot() });
      } catch (e) {
        if (!(e instanceof AppEntryError)) throw e;
        refusal = e;
      }
      const specId = target?.specId ?? refusal?.specId;
      if (!specId) {
        log.warn('ignoring an app entry that names no usable spec', { instance: instanceId, err: refusal?.message });
        continue;
      }
      const existing = apps.get(instanceId);
      // Same instance id under another spec: retire the old one first; the next pass starts the new one.
      if (existing && existing.specId !== specId) continue;
      seen.add(instanceId);
      const inst = existing ?? new AppInstance(instanceId, specId, appCtx);
      apps.set(instanceId, inst);
      const done = !started ? inst.want(undefined) : refusal ? inst.refuse(refusal.error) : inst.want(target);
      forgetWhenIdle(apps, instanceId, inst, done, () => inst.close());
    }
    for (const [instanceId, inst] of apps) {
      if (!seen.has(instanceId)) forgetWhenIdle(apps, instanceId, inst, inst.want(undefined), () => inst.close());
    }
  };

  const convergeKernel = (cfg: NodeConfig) => {
    const wanted = new Set(Object.entries(cfg.kernel).filter(([, e]) => e.target_state === 'started').map(([name]) => name));
    for (const name of Object.keys(cfg.kernel)) {
      if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/.test(name)) {
        log.warn('ignoring a kernel entry with an unusable name', { name });
        wanted.delete(name);
        continue;
      }
      if (!kernel.has(name)) kernel.set(name, new KernelInstance(name, o.kernelServices?.[name], { node, kv: o.kv, log, backoff: appCtx.backoff, nowMs }));
    }
    for (const [name, inst] of kernel) forgetWhenIdle(kernel, name, inst, inst.want(wanted.has(name)));
  };

  // A node that cannot reach system-config (its OOD) retries every second or so: say so once, not every time.
  const zoneKv = new OutageLog(log, "the zone's system-config");
  let lastRefusedState: string | undefined;
  const pass = async () => {
    if (stopped) return;
    let cfg: NodeConfig;
    try {
      const got = await o.kv.get(configKey);
      zoneKv.ok();
      cfg = parseNodeConfig(got?.value, o.nodeName);
    } catch (e) {
      if (isKrpcError(e, 'UNAVAILABLE') || isKrpcError(e, 'TIMEOUT')) zoneKv.failed(e, 'reading the node config; instances keep running as they are');
      else log.warn('cannot read the node config; keeping everything as it is', { err: describeError(e) });
      return;
    }
    if (cfg.state === 'stopped' || cfg.state === 'removed') cfg = { ...cfg, apps: {}, kernel: {} };
    else if (cfg.state !== 'running') {
      if (lastRefusedState !== cfg.state) log.info('node config is not in state "running"; leaving instances as they are', { state: cfg.state });
      lastRefusedState = cfg.state;
      return;
    }
    lastRefusedState = undefined;
    convergeApps(cfg);
    convergeKernel(cfg);
  };

  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  const converge = (): Promise<void> => {
    if (queued) return queued;
    const next = chain.then(async () => {
      queued = undefined;
      await pass();
    });
    queued = next;
    chain = next.catch((e) => log.error('convergence pass failed', { err: describeError(e) }));
    return next;
  };

  const writeDeviceInfo = async () => {
    const info = buildDeviceInfo({
      deviceDoc: o.deviceDoc,
      host: { ...sampleHost(), disk: await sampleDisk(o.paths.root) },
      containerEngineFound: containerEngine !== undefined,
      nowSeconds: Math.floor(nowMs() / 1000),
      sessionId: node.sessionId,
      // A node bound to its own loopback address (several nodes on one machine) is reachable there.
      extraIps: ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(bindHost) ? [] : [bindHost],
      advertiseIps: o.advertiseIps,
    });
    try {
      await o.kv.set(deviceInfoKey(o.nodeName), JSON.stringify(info));
      zoneKv.ok();
    } catch (e) {
      if (isKrpcError(e, 'UNAVAILABLE') || isKrpcError(e, 'TIMEOUT')) zoneKv.failed(e, 'writing device info');
      else log.warn('cannot write device info; will retry', { err: describeError(e) });
    }
  };

  let debounce: NodeJS.Timeout | undefined;
  const watch = o.kv.watchLoop(configKey, (event) => {
    if (!event.resync && !event.changes.some((c) => c.key === configKey)) return;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(() => void converge(), o.debounceMs ?? 20);
  }, {
    timeoutMs: o.watchTimeoutMs,
    pollIntervalMs: o.pollIntervalMs ?? 1000,
    onError: (e) => log.debug('watching the node config failed; polling until it works again', { err: describeError(e) }),
  });
  const safetyTimer = setInterval(() => void converge(), o.safetyPassMs ?? 30_000);
  const refreshTimer = setInterval(() => {
    void writeDeviceInfo();
    for (const inst of [...apps.values(), ...kernel.values()]) void inst.refresh();
  }, reportIntervalMs);

  await writeDeviceInfo();
  await converge();
  log.info('node-daemon started', { node: o.nodeName, container_engine: containerEngine ?? 'none' });

  return {
    converge,
    instances: () => [...apps.values(), ...kernel.values()].map((i) => i.status()),
    async stop() {
      if (stopped) return;
      stopped = true;
      await watch.stop();
      clearInterval(safetyTimer);
      clearInterval(refreshTimer);
      if (debounce) clearTimeout(debounce);
      await chain;
      await Promise.all([...apps.values(), ...kernel.values()].map((i) => i.shutdown()));
      log.info('node-daemon stopped');
    },
  };
}

