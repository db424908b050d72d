// The sample apps under pkgs/, end to end through the pkg system: build every release, install into a
// pkg-env, start the installed app as a real process on a taken hint port, use it, upgrade 1.0.0 → 1.1.0
// moving only changed chunks, see 1.2.0 fail its health check, and roll back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from 'node:net';
import { generateEd25519 } from '../lib/identity/keys.js';
import { buildPkg } from './build.js';
import { readPkgFile, type PkgFile } from './reader.js';
import { openPkgEnv, type PkgEnv } from './env.js';
import { uniqueChunks } from './format.js';
import { occupyPort, randomLoopback, readText, tempDir } from './test-fixtures.js';

const pkgsDir = resolve(fileURLToPath(new URL('../../pkgs', import.meta.url)));
const host = randomLoopback();
const publisher = generateEd25519();
const RELEASES = [undefined, '1.1.0', '1.2.0'] as const;
let work: string;
let env: PkgEnv;
const pkgs = new Map<string, PkgFile>();
const running = new Set<ChildProcess>();

before(async () => {
  work = await tempDir('sample-apps');
  env = await openPkgEnv(join(work, 'pkgs'));
});

after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
});

interface RunningApp {
  port: number;
  child: ChildProcess;
  exit: Promise<number | null>;
  url: (path: string) => string;
  output: () => string;
}

/** Starts an installed pkg the way node-daemon does: its start.cmd, the env contract, its own cwd. */
async function startApp(name: string, hint: number): Promise<RunningApp> {
  const version = (await env.current(name))!;
  const dir = env.dir(name, version);
  const meta = (await env.meta(name, version))!;
  const runDir = join(work, 'run', name);
  const dataDir = join(work, 'data', name);
  await mkdir(runDir, { recursive: true });
  const portFile = join(runDir, 'port');
  await rm(portFile, { force: true });
  const [cmd, script, ...args] = meta.start.cmd;
  assert.equal(cmd, 'node');
  const child = spawn(process.execPath, [join(dir, script), ...args], {
    cwd: runDir,
    env: {
      PATH: process.env.PATH,
      BUCKYOS_BIND: host,
      BUCKYOS_SERVICE_PORT: String(hint),
      BUCKYOS_PORT_FILE: portFile,
      BUCKYOS_DATA_DIR: dataDir,
      ...meta.start.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exit = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  for (let i = 0; i < 200 && !exited; i++) {
    const text = await readText(portFile);
    if (text !== undefined) {
      assert.match(text, /^\d+\n$/, 'the port file holds the port in decimal');
      const port = Number(text);
      return { port, child, exit, url: (p) => `http://${host}:${port}${p}`, output: () => output };
    }
    await sleep(25);
  }
  return { port: 0, child, exit, url: () => '', output: () => output };
}

async function stopApp(app: RunningApp): Promise<void> {
  app.child.kill('SIGTERM');
  assert.equal(await app.exit, 0, `the app exits cleanly on SIGTERM: ${app.output()}`);
}

// The apps' JSON answers are checked field by field below.
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();

async function health(app: RunningApp): Promise<{ status: number; body: { ok: boolean; version: string } }> {
  const res = await fetch(app.url('/health'));
  return { status: res.status, body: await json(res) };
}

/** A hint port on our loopback address that is already taken, so the app must move up one. */
async function takenHint(): Promise<{ hint: number; blocker: Server }> {
  for (;;) {
    const hint = 20_000 + Math.floor(Math.random() * 30_000);
    const blocker = await occupyPort(host, hint);
    if (blocker) return { hint, blocker };
  }
}

async function install(name: string, release: string | undefined) {
  const pkg = pkgs.get(`${name}@${release ?? '1.0.0'}`)!;
  const r = await env.install(pkg.meta, pkg.fetchChunk);
  await env.activate(name, pkg.meta.version);
  return r;
}

test('every folder under pkgs/ builds as-is and in each release, and reads back verified', async () => {
  const apps = (await readdir(pkgsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual(apps, ['filedrop', 'notes', 'sitehost']);
  for (const name of apps) {
    for (const release of RELEASES) {
      const built = await buildPkg(join(pkgsDir, name), { out: join(work, `${name}-${release ?? 'base'}.pkg`), release, publisherKeyPem: publisher.privateKeyPem });
      assert.equal(built.meta.name, name);
      assert.equal(built.meta.version, release ?? '1.0.0');
      assert.ok(built.meta.files.every((f) => !f.path.startsWith('releases/')));
      assert.ok(built.meta.files.some((f) => f.path === 'pkg.json'));
      const pkg = await readPkgFile(built.file);
      assert.equal(pkg.metaId, built.metaId);
      pkgs.set(`${name}@${built.meta.version}`, pkg);
    }
  }
});

/** Upgrades `name` to 1.1.0 and checks that exactly the chunks 1.0.0 lacked were moved. */
async function upgradeMovesOnlyChangedChunks(name: string) {
  const v1 = pkgs.get(`${name}@1.0.0`)!;
  const v11 = pkgs.get(`${name}@1.1.0`)!;
  const had = uniqueChunks(v1.meta);
  const changed = [...uniqueChunks(v11.meta)].filter(([sha]) => !had.has(sha));
  const r = await install(name, '1.1.0');
  assert.equal(r.fetchedBytes, changed.reduce((n, [, len]) => n + len, 0));
  assert.ok(r.fetchedBytes < v11.meta.size / 2, `${name}: moved ${r.fetchedBytes} of ${v11.meta.size} bytes`);
  assert.ok(r.reusedChunks > 0);
  assert.equal(await env.previous(name), '1.0.0');
}

/** 1.2.0 is broken; rolling back to previous (1.1.0) brings the app back. */
async function brokenReleaseThenRollback(name: string, hint: number, broken: (app: RunningApp) => Promise<void>) {
  await install(name, '1.2.0');
  const bad = await startApp(name, hint);
  await broken(bad);
  if (bad.child.exitCode === null) await stopApp(bad);
  const prev = (await env.previous(name))!;
  assert.equal(prev, '1.1.0');
  await env.activate(name, prev);
  const good = await startApp(name, hint);
  assert.deepEqual((await health(good)).body.version, '1.1.0');
  await stopApp(good);
}

const healthFails = async (app: RunningApp) => {
  assert.ok(app.port > 0, app.output());
  const h = await health(app);
  assert.equal(h.status, 500);
  assert.equal(h.body.ok, false);
  assert.equal(h.body.version, '1.2.0');
};

test('filedrop: runs on the next free port, stores files, upgrades to sizes, survives a broken release', async () => {
  const name = 'filedrop';
  const { hint, blocker } = await takenHint();
  try {
    await install(name, undefined);
    const app = await startApp(name, hint);
    assert.equal(app.port, hint + 1, app.output());
    assert.deepEqual((await health(app)).body, { ok: true, app: name, version: '1.0.0' });
    assert.match(await (await fetch(app.url('/'))).text(), /<title>filedrop<\/title>/);
    assert.doesNotMatch(await (await fetch(app.url('/app.js'))).text(), /humanSize/);

    const bytes = Buffer.from('report body \u00e9');
    assert.equal((await fetch(app.url('/api/files/report%201.txt'), { method: 'PUT', body: bytes })).status, 201);
    const list = await json(fetch(app.url('/api/files')));
    assert.deepEqual(list.files.map((f: { name: string; size: number }) => [f.name, f.size]), [['report 1.txt', bytes.length]]);
    const dl = await fetch(app.url('/files/report%201.txt'));
    assert.match(dl.headers.get('content-disposition')!, /attachment/);
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), bytes);
    for (const evil of ['..%2F..%2Fescape', '.hidden', '%2Fetc%2Fpasswd']) {
      assert.equal((await fetch(app.url(`/api/files/${evil}`), { method: 'PUT', body: 'x' })).status, 400, evil);
    }
    assert.deepEqual(await readdir(join(work, 'data', name, 'files')), ['report 1.txt']);
    assert.equal((await fetch(app.url('/files/nothing'))).status, 404);
    await stopApp(app);

    await upgradeMovesOnlyChangedChunks(name);
    const v11 = await startApp(name, hint);
    assert.equal((await health(v11)).body.version, '1.1.0');
    assert.match(await (await fetch(v11.url('/app.js'))).text(), /humanSize/);
    assert.equal((await json(fetch(v11.url('/api/files')))).files.length, 1, 'data survives the upgrade');
    assert.equal((await fetch(v11.url('/api/files/report%201.txt'), { method: 'DELETE' })).status, 200);
    await stopApp(v11);

    await brokenReleaseThenRollback(name, hint, healthFails);
  } finally {
    blocker.close();
  }
});

test('notes: keeps notes in its data folder across restarts, gains search in 1.1.0, 1.2.0 exits at start', async () => {
  const name = 'notes';
  const { hint, blocker } = await takenHint();
  try {
    await install(name, undefined);
    const app = await startApp(name, hint);
    assert.equal(app.port, hint + 1, app.output());
    assert.equal((await health(app)).body.version, '1.0.0');
    assert.match(await (await fetch(app.url('/'))).text(), /<title>notes<\/title>/);
    const post = (title: string, body: string) =>
      fetch(app.url('/api/notes'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, body }) });
    assert.equal((await post('Groceries', 'milk, eggs')).status, 201);
    const work2 = await json(post('Work', 'ship the zone'));
    assert.equal((await post('', 'x')).status, 400);
    assert.equal((await fetch(app.url('/api/notes'), { method: 'POST', body: '{nope' })).status, 400);
    assert.equal((await fetch(app.url('/api/notes'), { method: 'POST', body: 'x'.repeat(70_000) })).status, 413);
    assert.equal((await json(fetch(app.url('/api/notes?q=milk')))).notes.length, 2, '1.0.0 has no search');
    await stopApp(app);
    assert.equal((await stat(join(work, 'data', name, 'notes.json'))).isFile(), true);

    await upgradeMovesOnlyChangedChunks(name);
    const v11 = await startApp(name, hint);
    const found = await json(fetch(v11.url('/api/notes?q=MILK')));
    assert.equal(found.version, '1.1.0');
    assert.deepEqual(found.notes.map((n: { title: string }) => n.title), ['Groceries']);
    assert.equal((await fetch(v11.url(`/api/notes/${work2.id}`), { method: 'DELETE' })).status, 200);
    assert.equal((await json(fetch(v11.url('/api/notes')))).notes.length, 1);
    await stopApp(v11);

    await brokenReleaseThenRollback(name, hint, async (bad) => {
      assert.equal(await bad.exit, 1, 'the broken release exits at start-up');
      assert.equal(bad.port, 0, 'and never writes a port file');
      assert.match(bad.output(), /self check failed/);
    });
  } finally {
    blocker.close();
  }
});

test('sitehost: serves an uploaded site safely, gains delete in 1.1.0, survives a broken release', async () => {
  const name = 'sitehost';
  const { hint, blocker } = await takenHint();
  try {
    await install(name, undefined);
    const app = await startApp(name, hint);
    assert.equal(app.port, hint + 1, app.output());
    assert.equal((await health(app)).body.version, '1.0.0');
    assert.match(await (await fetch(app.url('/'))).text(), /_admin\//, 'an empty site shows the welcome page');
    assert.match(await (await fetch(app.url('/_admin/'))).text(), /<title>sitehost admin<\/title>/);

    const put = (path: string, body: string) => fetch(app.url(`/_admin/api/files/${path}`), { method: 'PUT', body });
    assert.equal((await put('index.html', '<h1>My zone</h1>')).status, 201);
    assert.equal((await put('css/site.css', 'h1{color:red}')).status, 201);
    assert.equal(await (await fetch(app.url('/'))).text(), '<h1>My zone</h1>');
    const css = await fetch(app.url('/css/site.css'));
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    for (const evil of ['..%2F..%2Fescape.html', 'a%5Cb', '.env']) assert.equal((await put(evil, 'x')).status, 400, evil);
    assert.equal((await fetch(app.url('/..%2F..%2Fpkg.json'))).status, 400);
    assert.equal((await fetch(app.url('/missing.html'))).status, 404);
    assert.equal((await fetch(app.url('/_admin/api/files/css/site.css'), { method: 'DELETE' })).status, 405, '1.0.0 cannot delete');
    await stopApp(app);

    await upgradeMovesOnlyChangedChunks(name);
    const v11 = await startApp(name, hint);
    assert.equal((await health(v11)).body.version, '1.1.0');
    assert.equal((await fetch(v11.url('/_admin/api/files/css/site.css'), { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(v11.url('/css/site.css'))).status, 404);
    assert.equal(await (await fetch(v11.url('/'))).text(), '<h1>My zone</h1>', 'the site survives the upgrade');
    await stopApp(v11);

    await brokenReleaseThenRollback(name, hint, healthFails);
  } finally {
    blocker.close();
  }
});
