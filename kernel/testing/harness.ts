// Test support for integration tests that run whole nodes as real child processes (`buckyos ood`),
// each on its own random loopback address with the default ports. Only tests import this.
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dataPaths } from '../lib/paths.js';
import { isOwnProcess, listPidRecords } from '../node-daemon/pid-record.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
const cliEntry = join(repoRoot, 'bin', 'buckyos.js');

const rand = () => 2 + Math.floor(Math.random() * 248);
export const randomLoopback = () => `127.${rand()}.${rand()}.${rand()}`;

export async function tempDir(prefix = 'buckyos-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A temp folder removed when test `t` ends. */
export async function tempDirFor(t: { after(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  t.after(dir.remove);
  return dir.path;
}

export function waitForPort(host: string, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = () => {
      const s = connect({ host, port });
      s.once('connect', () => { s.destroy(); resolvePromise(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${host}:${port} did not open within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function portIsOpen(host: string, port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host, port });
    s.once('connect', () => { s.destroy(); r(true); });
    s.once('error', () => { s.destroy(); r(false); });
  });
}

/** Polls `probe` until it gives a value (a throw counts as "not yet"); on time-out the error names `what`, then `context()` (a process log, say). */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, opts: { timeoutMs: number; everyMs?: number; context?: () => string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${opts.context?.() ?? ''}`);
    await sleep(opts.everyMs ?? 100);
  }
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs `buckyos ARGS` as a user would, with an optional environment. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

export interface NodeProcess {
  host: string;
  dataDir: string;
  child: ChildProcess;
  log(): string;
  /** what it printed on stdout alone (the lines meant for a person; logs go to stderr) */
  stdout(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** An OS identity to run a kernel process as (a test running as root can start a desktop-user OOD). */
export interface RunAs { uid: number; gid: number }

/** Starts `buckyos ood --data DIR --host HOST` as a child process. */
export function spawnOod(dataDir: string, host: string, extraArgs: string[] = [], env: Record<string, string> = {}, runAs?: RunAs): NodeProcess {
  return spawnKernel('ood', dataDir, host, extraArgs, env, runAs);
}

/** Starts `buckyos node --data DIR --host HOST` (a headless, non-OOD node) as a child process. */
export function spawnNode(dataDir: string, host: string, extraArgs: string[] = [], env: Record<string, string> = {}): NodeProcess {
  return spawnKernel('node', dataDir, host, extraArgs, env);
}

function spawnKernel(verb: 'ood' | 'node', dataDir: string, host: string, extraArgs: string[], env: Record<string, string>, runAs?: RunAs): NodeProcess {
  const child = spawn(process.execPath, [cliEntry, verb, '--data', dataDir, '--host', host, ...extraArgs], {
    env: { ...process.env, BUCKYOS_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...runAs,
  });
  let output = '';
  let stdout = '';
  child.stdout.on('data', (d) => { output += d; stdout += d; });
  child.stderr.on('data', (d) => (output += d));
  return {
    host, dataDir, child,
    log: () => output,
    stdout: () => stdout,
    kill: (signal = 'SIGTERM') => new Promise<void>((r) => {
      if (child.exitCode !== null || child.signalCode !== null) return r();
      child.once('exit', () => r());
      child.kill(signal);
    }),
  };
}

/**
 * Stops a node the way a service manager does (SIGTERM; SIGKILL after 20 s), then kills any app process
 * its data folder still records: apps are separate processes and must not outlive the test.
 */
export async function stopWithApps(p: NodeProcess): Promise<void> {
  const hard = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.kill('SIGTERM');
  clearTimeout(hard);
  await killRecordedApps(p.dataDir);
}

/** A power cut: SIGKILL of the node and of every app process its data folder records. */
export async function powerCut(p: NodeProcess): Promise<void> {
  const apps = await listPidRecords(dataPaths(p.dataDir).run);
  await p.kill('SIGKILL');
  for (const { record } of apps) if (record && (await isOwnProcess(record))) try { process.kill(record.pid, 'SIGKILL'); } catch { /* gone */ }
}

/** Every descendant of `pid` (children, their children, …), read from /proc (Linux). */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number) => { for (const c of children.get(p) ?? []) { out.push(c); walk(c); } };
  walk(pid);
  return out;
}

/**
 * A power cut of the whole process tree, the way the wall switch does it: the kernel is frozen
 * (SIGSTOP) so it can start nothing more, then it and every process below it (apps, their helpers)
 * get SIGKILL at once, plus any app its data folder records (apps a previous kernel left behind).
 * Linux only (reads /proc).
 */
export async function powerCutTree(p: NodeProcess): Promise<void> {
  const pid = p.child.pid;
  if (pid === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  try { process.kill(pid, 'SIGSTOP'); } catch { /* already gone */ }
  // Freeze the tree top-down until no new process shows up, then kill it all.
  const frozen = new Set<number>([pid]);
  for (let more = true; more;) {
    more = false;
    for (const d of descendantsOf(pid)) if (!frozen.has(d)) { frozen.add(d); more = true; try { process.kill(d, 'SIGSTOP'); } catch { /* gone */ } }
  }
  const recorded = await listPidRecords(dataPaths(p.dataDir).run);
  for (const { record } of recorded) if (record && (await isOwnProcess(record))) frozen.add(record.pid);
  // A power cut stops every process, also an app caught between its spawn and its pid record whose
  // parent already let go of it (so it is neither in the tree nor recorded yet).
  for (const { pid: app } of appProcessesOf(p.dataDir)) frozen.add(app);
  const exited = new Promise<void>((r) => { if (p.child.exitCode !== null || p.child.signalCode !== null) r(); else p.child.once('exit', () => r()); });
  for (const d of frozen) try { process.kill(d, 'SIGKILL'); } catch { /* gone */ }
  await exited;
  // SIGKILL is delivered asynchronously: wait until each process is gone or a zombie.
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && [...frozen].some(isAliveNotZombie);) await new Promise((r) => setTimeout(r, 20));
}

function isAliveNotZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Live (non-zombie) app processes started for data folder `dataDir`, found by the environment every app gets (Linux). */
export function appProcessesOf(dataDir: string): Array<{ pid: number; appId: string; marker: string }> {
  const root = resolve(dataDir);
  const out: Array<{ pid: number; appId: string; marker: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const env = new Map(readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const marker = env.get('BUCKYOS_INSTANCE_MARKER');
      if (marker && env.get('BUCKYOS_DATA_DIR')?.startsWith(root + '/')) out.push({ pid: Number(name), appId: env.get('BUCKYOS_APP_ID') ?? '', marker });
    } catch { /* gone meanwhile, or not ours to read */ }
  }
  return out;
}

async function killRecordedApps(dataDir: string): Promise<void> {
  for (const { record } of await listPidRecords(dataPaths(dataDir).run)) {
    if (record && (await isOwnProcess(record))) try { process.kill(record.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

export const TEST_PASSWORD = 'Test-pw-123';

/** A fresh OOD, activated through the CLI as zone "testzone" with owner alice; extra `buckyos ood` args, env and OS identity optional. */
export async function activatedOod(opts: { args?: string[]; env?: Record<string, string>; runAs?: RunAs; dataDir?: string; activateArgs?: string[] } = {}): Promise<{ ood: NodeProcess; env: Record<string, string>; mnemonic: string; dir: { path: string; remove(): Promise<void> } }> {
  const dir = opts.dataDir ? { path: opts.dataDir, remove: () => rm(opts.dataDir!, { recursive: true, force: true }) } : await tempDir('buckyos-ood-');
  if (opts.runAs) await chown(dir.path, opts.runAs.uid, opts.runAs.gid);
  const host = randomLoopback();
  const ood = spawnOod(dir.path, host, opts.args, opts.env, opts.runAs);
  // Generous: on a loaded machine a cold start through tsx can take tens of seconds.
  await waitForPort(host, 3182, 90_000);
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'testzone', '--owner', 'alice', '--password', TEST_PASSWORD, ...(opts.activateArgs ?? [])]);
  if (act.code !== 0) throw new Error(`activation failed: ${act.stderr}`);
  const mnemonic = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(act.stdout)?.[1] ?? '';
  await waitForPort(host, 3180, 90_000);
  return { ood, mnemonic, dir, env: { BUCKYOS_ZONE: `http://${host}:3180`, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD } };
}
