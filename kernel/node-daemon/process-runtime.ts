// The "process" app runtime: runs a package's start command as a child process in its own process
// group, cwd and env (and, where the node isolates apps, its own uid/gid: app-isolation.ts), pipes its
// output into a rotating log, waits for it to write its real port to BUCKYOS_PORT_FILE (the start-port
// paradigm), and stops it with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { AppOwner } from './app-isolation.js';
import type { InstalledPkg } from './pkg-source.js';
import type { RotatingLog } from '../lib/rotating-log.js';
import {
  MARKER_ENV, bootId, isOwnProcess, listPidRecords, procStartTicks, removePidRecord, writePidRecord,
} from './pid-record.js';

export const PORT_FILE = 'port';
const PORT_POLL_MS = 40;
const usesProcessGroups = process.platform !== 'win32';

export type Health = 'healthy' | 'unhealthy' | 'unknown';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessLaunch {
  instanceId: string;
  pkg: InstalledPkg;
  /** the kernel's folder for this instance: its pid record */
  runDir: string;
  /** cwd of the process and where it writes its port file; runDir when absent */
  workDir?: string;
  /** the OS identity the process runs as; the daemon's own when absent */
  runAs?: AppOwner;
  /** puts a sandbox launcher in front of the resolved command (app-isolation.ts) */
  wrap?: (argv: string[]) => string[];
  /** the isolation the app gets, for its log */
  isolation?: string;
  env: Record<string, string>;
  log: RotatingLog;
  /** where the daemon reaches the app for health checks (the node address) */
  probeHost: string;
  portWaitMs: number;
  stopGraceMs: number;
}

export interface RunningProcess {
  pid: number;
  port: number;
  /** wall clock ms of the spawn */
  startedAt: number;
  /** resolves when the process exits, for whatever reason */
  exited: Promise<ProcessExit>;
  /** SIGTERM to its process group, SIGKILL after the grace period; resolves once it is gone */
  stop(): Promise<void>;
  health(): Promise<Health>;
}

/**
 * cmd[0] "node" is this Node binary; any element naming a file inside the package (a relative path
 * such as "server.mjs" or "bin/app") becomes its absolute path, since the cwd is the run dir.
 */
export function resolveCommand(cmd: string[], pkgDir: string): string[] {
  const root = resolve(pkgDir);
  return cmd.map((part, i) => {
    if (i === 0 && part === 'node') return process.execPath;
    if (isAbsolute(part) || part.startsWith('-')) return part;
    const candidate = resolve(root, part);
    return candidate.startsWith(root + sep) && existsSync(candidate) ? candidate : part;
  });
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

function signalGroup(child: ChildProcess | number, signal: NodeJS.Signals): void {
  const pid = typeof child === 'number' ? child : child.pid;
  if (!pid) return;
  try {
    if (usesProcessGroups) process.kill(-pid, signal);
    else if (typeof child === 'number') process.kill(pid, signal);
    else child.kill(signal);
  } catch {
    // already gone
  }
}

async function readPortFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    // The app owns the folder: only a small regular file is read (not a fifo, a link or a huge file).
    const st = await lstat(path);
    if (!st.isFile() || st.size > 64) return undefined;
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return undefined;
  const port = Number(t);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** GET `url`: true for a 2xx answer in time. node:http, not fetch: every app is probed every few seconds. */
function probe(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('error', () => resolve(false));
  });
}

export async function launchProcess(l: ProcessLaunch, log: Logger): Promise<RunningProcess> {
  const workDir = l.workDir ?? l.runDir;
  await mkdir(l.runDir, { recursive: true, mode: 0o711 });
  await mkdir(workDir, { recursive: true });
  const portFile = join(workDir, PORT_FILE);
  await rm(portFile, { force: true });
  const marker = randomUUID();
  const resolved = resolveCommand(l.pkg.manifest.start.cmd, l.pkg.dir);
  const [file, ...args] = l.wrap ? l.wrap(resolved) : resolved;

  const child = spawn(file, args, {
    cwd: workDir,
    // With uid/gid set, libuv also drops every supplementary group before the exec.
    ...(l.runAs ? { uid: l.runAs.uid, gid: l.runAs.gid } : {}),
    env: { ...l.env, BUCKYOS_PORT_FILE: portFile, [MARKER_ENV]: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: usesProcessGroups,
    windowsHide: true,
  });
  const startedAt = Date.now();
  const exit = new Promise<ProcessExit>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const spawnError = new Promise<Error>((r) => child.once('error', r));
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk: Buffer) => {
      if (!l.log.write(chunk)) {
        stream.pause();
        void l.log.drained().then(() => stream.resume());
      }
    });
  }

  const spawned = await Promise.race([
    new Promise<true>((r) => child.once('spawn', () => r(true))),
    spawnError,
  ]);
  if (spawned !== true) {
    l.log.write(`[node-daemon ${new Date().toISOString()}] cannot start ${file}: ${spawned.message}\n`);
    throw new KrpcError('FAILED_PRECONDITION', `cannot start ${l.instanceId}: ${spawned.message}; check start.cmd in the package manifest`);
  }
  const pid = child.pid!;
  const as = [l.isolation && `isolation ${l.isolation}`, l.runAs && `uid ${l.runAs.uid} gid ${l.runAs.gid}`].filter(Boolean).join(', ');
  l.log.write(`[node-daemon ${new Date().toISOString()}] started pid ${pid}${as ? ` (${as})` : ''}: ${resolved.join(' ')}\n`);
  await writePidRecord(l.runDir, { instance_id: l.instanceId, pid, marker, proc_start_ticks: await procStartTicks(pid), boot_id: bootId(), started_at: startedAt });

  let exitedEarly: ProcessExit | undefined;
  const exited = exit.then(async (e) => {
    exitedEarly = e;
    // Leftover children of a crashed app would hold its port; the group is ours, so clean it up.
    signalGroup(pid, 'SIGKILL');
    l.log.write(`[node-daemon ${new Date().toISOString()}] pid ${pid} exited (${e.signal ?? `code ${e.code}`})\n`);
    await removePidRecord(l.runDir).catch(() => {});
    return e;
  });

  const stop = async () => {
    if (exitedEarly) return;
    signalGroup(child, 'SIGTERM');
    const gone = await Promise.race([exited.then(() => true), sleep(l.stopGraceMs).then(() => false)]);
    if (!gone) {
      log.warn('instance ignored SIGTERM; killing it', { instance: l.instanceId, pid });
      signalGroup(child, 'SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + l.portWaitMs;
  let lastRead: number | undefined;
  for (;;) {
    if (exitedEarly) {
      const how = exitedEarly.signal ?? `code ${exitedEarly.code}`;
      throw new KrpcError('UNAVAILABLE', `${l.instanceId} exited (${how}) before it reported its port; see ${l.log.path}`);
    }
    const port = await readPortFile(portFile);
    if (port !== undefined && port === lastRead) {
      const { path: healthPath, timeout_ms: probeMs = 2000 } = l.pkg.manifest.health ?? {};
      const health = async (): Promise<Health> => {
        if (!healthPath || exitedEarly) return exitedEarly ? 'unhealthy' : 'unknown';
        return (await probe(`http://${urlHost(l.probeHost)}:${port}${healthPath}`, Math.min(probeMs, 10_000))) ? 'healthy' : 'unhealthy';
      };
      return { pid, port, startedAt, exited, stop, health };
    }
    lastRead = port;
    if (Date.now() > deadline) {
      await stop();
      throw new KrpcError('TIMEOUT',
        `${l.instanceId} did not write its listening port to BUCKYOS_PORT_FILE within ${Math.round(l.portWaitMs / 1000)} s; see ${l.log.path}`);
    }
    await sleep(PORT_POLL_MS);
  }
}

/**
 * After a daemon restart: stops the processes a previous run of this daemon started (proven by their
 * pid records) and drops records that point at anything else, which is left untouched.
 */
export async function reclaimOrphans(runRoot: string, stopGraceMs: number, log: Logger): Promise<{ stopped: string[]; ignored: string[] }> {
  const stopped: string[] = [];
  const ignored: string[] = [];
  for (const { runDir, record } of await listPidRecords(runRoot)) {
    if (record && (await isOwnProcess(record))) {
      log.info('stopping a process left by a previous node-daemon run', { instance: record.instance_id, pid: record.pid });
      signalGroup(record.pid, 'SIGTERM');
      const deadline = Date.now() + stopGraceMs;
      while ((await isOwnProcess(record)) && Date.now() < deadline) await sleep(50);
      if (await isOwnProcess(record)) signalGroup(record.pid, 'SIGKILL');
      stopped.push(record.instance_id);
    } else if (record) {
      ignored.push(record.instance_id);
    }
    await removePidRecord(runDir);
  }
  return { stopped, ignored };
}
