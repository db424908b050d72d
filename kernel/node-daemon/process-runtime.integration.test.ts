import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../lib/log.js';
import { validateManifest } from '../pkg/manifest.js';
import { MARKER_ENV, bootId, isRunning, procStartTicks, writePidRecord, PID_FILE } from './pid-record.js';
import { launchProcess, reclaimOrphans, resolveCommand, type ProcessLaunch } from './process-runtime.js';
import { RotatingLog } from '../lib/rotating-log.js';

const rand = () => 1 + Math.floor(Math.random() * 250);
const host = `127.${rand()}.${rand()}.${rand()}`;
const echoDir = resolve(import.meta.dirname, 'fixtures/echo-app');
const root = await mkdtemp(join(tmpdir(), 'nd-proc-'));
const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await rm(root, { recursive: true, force: true });
});

const echoManifest = JSON.parse(await readFile(join(echoDir, 'pkg.json'), 'utf8'));
function launch(name: string, over: { env?: Record<string, string>; portWaitMs?: number; stopGraceMs?: number; hint?: number } = {}): ProcessLaunch {
  const manifest = validateManifest(echoManifest);
  return {
    instanceId: name,
    pkg: { dir: echoDir, manifest },
    runDir: join(root, 'run', name),
    env: { PATH: process.env.PATH ?? '', BUCKYOS_SERVICE_PORT: String(over.hint ?? 20000 + rand() * 100), BUCKYOS_BIND: host, ...over.env },
    log: new RotatingLog(join(root, 'logs', `${name}.log`)),
    probeHost: host,
    portWaitMs: over.portWaitMs ?? 10_000,
    stopGraceMs: over.stopGraceMs ?? 2000,
  };
}

function occupy(port: number): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(port, host, () => res(s));
  });
}

test('the app binds past a busy hint, reports the real port, answers, and stops on SIGTERM', async () => {
  const hint = 30000 + rand() * 100;
  const blocker = await occupy(hint);
  cleanups.push(() => blocker.close());
  const l = launch('echo1', { hint });
  const proc = await launchProcess(l, silentLogger);
  cleanups.push(() => proc.stop());
  assert.notEqual(proc.port, hint);
  assert.equal(proc.port, hint + 1);
  const body = await (await fetch(`http://${host}:${proc.port}/`)).json() as { pid: number; cwd: string };
  assert.equal(body.pid, proc.pid);
  assert.equal(body.cwd, l.runDir);
  assert.equal(await proc.health(), 'healthy');
  const record = JSON.parse(await readFile(join(l.runDir, PID_FILE), 'utf8'));
  assert.equal(record.pid, proc.pid);
  if (process.platform === 'linux') assert.equal(record.proc_start_ticks, await procStartTicks(proc.pid));
  if (process.platform === 'linux') assert.equal(record.boot_id, bootId());

  await proc.stop();
  assert.equal((await proc.exited).code, 0);
  assert.equal(await isRunning(proc.pid), false);
  await sleep(50);
  await assert.rejects(stat(join(l.runDir, PID_FILE)));
  await l.log.close();
  assert.match(await readFile(l.log.path, 'utf8'), /echo-app listening on .*\(hint \d+\)/);
});

test('a process that ignores SIGTERM is killed after the grace period', async () => {
  const proc = await launchProcess(launch('stubborn', { env: { ECHO_IGNORE_SIGTERM: '1' }, stopGraceMs: 300 }), silentLogger);
  const t0 = Date.now();
  await proc.stop();
  assert.ok(Date.now() - t0 >= 300);
  assert.equal((await proc.exited).signal, 'SIGKILL');
});

test('no port file in time → TIMEOUT, and the process is not left running', async () => {
  const l = launch('silent', { portWaitMs: 600 });
  l.pkg = { ...l.pkg, manifest: { ...l.pkg.manifest, start: { cmd: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] } } };
  await assert.rejects(launchProcess(l, silentLogger), (e: Error & { code?: string }) => e.code === 'TIMEOUT' && /BUCKYOS_PORT_FILE/.test(e.message));
  const record = await readFile(join(l.runDir, PID_FILE), 'utf8').catch(() => undefined);
  assert.equal(record, undefined);
});

test('a process that exits before it reports a port → UNAVAILABLE with the exit status', async () => {
  const l = launch('quitter');
  l.pkg = { ...l.pkg, manifest: { ...l.pkg.manifest, start: { cmd: [process.execPath, '-e', 'process.exit(3)'] } } };
  await assert.rejects(launchProcess(l, silentLogger), (e: Error & { code?: string }) => e.code === 'UNAVAILABLE' && /code 3/.test(e.message));
});

test('a command that does not exist → FAILED_PRECONDITION naming start.cmd', async () => {
  const l = launch('missing');
  l.pkg = { ...l.pkg, manifest: { ...l.pkg.manifest, start: { cmd: ['/nonexistent/bin/app'] } } };
  await assert.rejects(launchProcess(l, silentLogger), (e: Error & { code?: string }) => e.code === 'FAILED_PRECONDITION' && /start\.cmd/.test(e.message));
});

test('resolveCommand: node is this Node, package files become absolute, other words stay', () => {
  assert.deepEqual(resolveCommand(['node', 'server.mjs', '--port', 'x.mjs'], echoDir), [process.execPath, join(echoDir, 'server.mjs'), '--port', 'x.mjs']);
  assert.deepEqual(resolveCommand(['node', '../node-config.ts'], echoDir)[1], '../node-config.ts');
});

test('orphans: own processes from a previous run are stopped, anything else is left alone', async () => {
  const runRoot = join(root, 'orphans');
  // "previous daemon run": launched, then forgotten without stop()
  const own = await launchProcess({ ...launch('own'), runDir: join(runRoot, 'own') }, silentLogger);
  // a stranger carrying the marker 'm3' in its environment, as a process we launched would
  const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: { ...process.env, [MARKER_ENV]: 'm3' } });
  cleanups.push(() => stranger.kill('SIGKILL'));
  await new Promise((r) => stranger.once('spawn', r));
  const ticks = await procStartTicks(stranger.pid!);
  await mkdir(join(runRoot, 'bogus-ticks'), { recursive: true });
  await writePidRecord(join(runRoot, 'bogus-ticks'), { instance_id: 'bogus-ticks', pid: stranger.pid!, marker: 'm1', proc_start_ticks: '1', started_at: Date.now() });
  await mkdir(join(runRoot, 'bogus-marker'), { recursive: true });
  await writePidRecord(join(runRoot, 'bogus-marker'), { instance_id: 'bogus-marker', pid: stranger.pid!, marker: 'm2', proc_start_ticks: ticks, started_at: Date.now() });
  // matching pid, start ticks and marker, but written in another boot (issue 14: pid and ticks recur after a reboot)
  await mkdir(join(runRoot, 'bogus-boot'), { recursive: true });
  await writePidRecord(join(runRoot, 'bogus-boot'), { instance_id: 'bogus-boot', pid: stranger.pid!, marker: 'm3', proc_start_ticks: ticks, boot_id: '00000000-0000-0000-0000-000000000000', started_at: Date.now() });

  const result = await reclaimOrphans(runRoot, 2000, silentLogger);
  assert.deepEqual(result.stopped, ['own']);
  assert.deepEqual(result.ignored.sort(), ['bogus-boot', 'bogus-marker', 'bogus-ticks']);
  await own.exited;
  assert.equal(await isRunning(own.pid), false);
  assert.equal(await isRunning(stranger.pid!), true);
  for (const dir of await readdir(runRoot)) await assert.rejects(stat(join(runRoot, dir, PID_FILE)));
});

test('the output log rotates by size and keeps a bounded number of files', async () => {
  const log = new RotatingLog(join(root, 'rot', 'app.log'), { maxBytes: 10 * 1024, files: 3 });
  for (let i = 0; i < 50; i++) log.write(Buffer.alloc(1024, 65 + (i % 26)));
  await log.close();
  const files = (await readdir(join(root, 'rot'))).sort();
  assert.deepEqual(files, ['app.log', 'app.log.1', 'app.log.2']);
  for (const f of files) assert.ok((await stat(join(root, 'rot', f))).size <= 10 * 1024);
  // newest bytes are in app.log: 50 KiB written, the last chunk is 'X' (65 + 49 % 26 = 88)
  const current = await readFile(join(root, 'rot', 'app.log'));
  assert.equal(current.at(-1), 88);
});
