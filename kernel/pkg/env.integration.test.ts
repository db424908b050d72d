// The pkg-env on real files: versioned installs, chunk-level upgrades, atomic switching and rollback,
// refusal of damaged chunks, and installs of one pkg racing in one process and in two processes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { buildPkg } from './build.js';
import { readPkgFile, type PkgFile } from './reader.js';
import { hostPlatform, openPkgEnv, type PkgEnv } from './env.js';
import { acquireFileLock } from './lock.js';
import { CHUNK_SIZE, INSTALLED_META_FILE, uniqueChunks } from './format.js';
import { baseManifest, makePkgFolder, tempDir, treeListing } from './test-fixtures.js';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const publisher = generateEd25519();
let work: string;
let v1: PkgFile;
let v11: PkgFile;
const big = randomBytes(CHUNK_SIZE * 4);

before(async () => {
  work = await tempDir('pkg-env');
  const dir = await makePkgFolder(join(work, 'app'), baseManifest('app'), {
    'main.mjs': 'console.log(1)\n',
    'bin/tool': '#!/bin/sh\necho tool\n',
    'assets/big.bin': big,
    'assets/empty.txt': '',
  });
  await chmod(join(dir, 'bin/tool'), 0o755);
  v1 = await readPkgFile((await buildPkg(dir, { out: join(work, 'app-1.0.0.pkg'), publisherKeyPem: publisher.privateKeyPem })).file);
  // 1.1.0: one byte changed in the third chunk of the big file, and one new file.
  const changed = Buffer.from(big);
  changed[CHUNK_SIZE * 2 + 10] ^= 0xff;
  await mkdir(join(dir, 'releases', '1.1.0', 'assets'), { recursive: true });
  await writeFile(join(dir, 'releases', '1.1.0', 'assets', 'big.bin'), changed);
  await writeFile(join(dir, 'releases', '1.1.0', 'NEWS.md'), 'search!\n');
  v11 = await readPkgFile((await buildPkg(dir, { out: join(work, 'app-1.1.0.pkg'), release: '1.1.0', publisherKeyPem: publisher.privateKeyPem })).file);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function freshEnv(name: string): Promise<PkgEnv> {
  return openPkgEnv(join(work, name));
}

/** fetchChunk that counts what it serves. */
function countingFetch(pkg: PkgFile, delayMs = 0) {
  const served: string[] = [];
  return {
    served,
    fetch: async (sha: string) => {
      if (delayMs) await sleep(delayMs);
      served.push(sha);
      return pkg.chunkReader.read(sha);
    },
  };
}

const tree = (dir: string) => treeListing(dir, { sizes: false });

test('install writes every file exactly, with its mode, and fetches each distinct chunk once', async () => {
  const env = await freshEnv('e1');
  const f = countingFetch(v1);
  const progress: number[] = [];
  const r = await env.install(v1.meta, f.fetch, (p) => progress.push(p.doneChunks));
  assert.equal(r.dir, join(env.root, 'app', '1.0.0'));
  assert.equal(r.alreadyInstalled, false);
  const unique = uniqueChunks(v1.meta);
  assert.equal(f.served.length, unique.size);
  assert.equal(r.fetchedBytes, [...unique.values()].reduce((a, b) => a + b, 0));
  assert.equal(progress.at(-1), unique.size);
  assert.deepEqual(await readFile(join(r.dir, 'assets/big.bin')), big);
  assert.equal(await readFile(join(r.dir, 'main.mjs'), 'utf8'), 'console.log(1)\n');
  assert.equal((await stat(join(r.dir, 'assets/empty.txt'))).size, 0);
  assert.equal((await stat(join(r.dir, 'bin/tool'))).mode & 0o777, 0o755);
  assert.equal((await stat(join(r.dir, 'main.mjs'))).mode & 0o777, 0o644);
  assert.equal(JSON.parse(await readFile(join(r.dir, 'pkg.json'), 'utf8')).version, '1.0.0');
  assert.equal(JSON.parse(await readFile(join(r.dir, INSTALLED_META_FILE), 'utf8')).version, '1.0.0');
  assert.deepEqual(await env.installed('app'), ['1.0.0']);
  assert.equal(await env.current('app'), undefined);
  assert.deepEqual(await readdir(join(env.root, '.staging')), []);

  const again = await env.install(v1.meta, f.fetch);
  assert.equal(again.alreadyInstalled, true);
  assert.equal(f.served.length, unique.size);
});

test('upgrade fetches only the changed chunks; previous is kept; switching back is one rename', async () => {
  const env = await freshEnv('e2');
  await env.install(v1.meta, v1.fetchChunk);
  assert.deepEqual(await env.activate('app', '1.0.0'), { current: '1.0.0', previous: undefined });

  const old = new Set(uniqueChunks(v1.meta).keys());
  const changed = [...uniqueChunks(v11.meta)].filter(([sha]) => !old.has(sha));
  // the changed 256 KiB chunk of big.bin, NEWS.md and the regenerated pkg.json
  assert.equal(changed.length, 3);
  const f = countingFetch(v11);
  const r = await env.install(v11.meta, f.fetch);
  assert.deepEqual(f.served.sort(), changed.map(([sha]) => sha).sort());
  assert.equal(r.fetchedBytes, changed.reduce((n, [, len]) => n + len, 0));
  assert.ok(r.fetchedBytes < v11.meta.size / 3, `moved ${r.fetchedBytes} of ${v11.meta.size} bytes`);
  assert.equal(r.reusedChunks, uniqueChunks(v11.meta).size - changed.length);

  assert.deepEqual(await env.activate('app', '1.1.0'), { current: '1.1.0', previous: '1.0.0' });
  assert.equal(await readlink(join(env.root, 'app', 'current')), '1.1.0');
  assert.equal(await readFile(join(env.root, 'app', 'current', 'NEWS.md'), 'utf8'), 'search!\n');
  assert.deepEqual(await env.installed('app'), ['1.0.0', '1.1.0']);

  assert.deepEqual(await env.activate('app', '1.0.0'), { current: '1.0.0', previous: '1.1.0' });
  await assert.rejects(stat(join(env.root, 'app', 'current', 'NEWS.md')), /ENOENT/);
  assert.deepEqual(await env.activate('app', '1.0.0'), { current: '1.0.0', previous: '1.1.0' });
  assert.equal((await readdir(join(env.root, 'app'))).filter((n) => n.startsWith('.current') || n.startsWith('.previous')).length, 0);
});

test('a damaged chunk from the source is refused and leaves the env exactly as it was', async () => {
  const env = await freshEnv('e3');
  await env.install(v1.meta, v1.fetchChunk);
  await env.activate('app', '1.0.0');
  const beforeTree = await tree(env.root);
  const target = [...uniqueChunks(v11.meta).keys()].find((sha) => !uniqueChunks(v1.meta).has(sha))!;
  const tampered = async (sha: string) => {
    const buf = Buffer.from(await v11.chunkReader.read(sha));
    if (sha === target) buf[0] ^= 1;
    return buf;
  };
  await assert.rejects(env.install(v11.meta, tampered), (e) => isKrpcError(e, 'INTEGRITY') && /damaged.*nothing was installed/.test(e.message));
  const short = async (sha: string) => (await v11.chunkReader.read(sha)).subarray(0, 5);
  await assert.rejects(env.install(v11.meta, short), (e) => isKrpcError(e, 'INTEGRITY'));
  await assert.rejects(env.install(v11.meta, async () => { throw new Error('network down'); }), /network down/);
  assert.deepEqual(await tree(env.root), beforeTree);
  assert.deepEqual(await env.installed('app'), ['1.0.0']);
  assert.equal(await env.current('app'), '1.0.0');
});

test('an upgrade links unchanged files; a damaged installed file is neither linked nor read, its chunk is fetched again', async () => {
  const env = await freshEnv('e4');
  await env.install(v1.meta, v1.fetchChunk);
  const sha = v1.meta.files.find((f) => f.path === 'main.mjs')!.chunks[0];
  await writeFile(join(env.root, 'app', '1.0.0', 'main.mjs'), 'console.log(2)\n');
  const f = countingFetch(v11);
  await env.install(v11.meta, f.fetch);
  assert.ok(f.served.includes(sha), 'the rotten chunk was fetched again');
  assert.equal(await readFile(join(env.root, 'app', '1.1.0', 'main.mjs'), 'utf8'), 'console.log(1)\n');
  const [tool0, tool1] = await Promise.all(['1.0.0', '1.1.0'].map((v) => stat(join(env.root, 'app', v, 'bin', 'tool'))));
  assert.equal(tool1.ino, tool0.ino, 'an unchanged file is a hard link to the installed one');
  assert.equal(tool1.mode & 0o777, 0o755);
  const [big0, big1] = await Promise.all(['1.0.0', '1.1.0'].map((v) => stat(join(env.root, 'app', v, 'assets', 'big.bin'))));
  assert.notEqual(big1.ino, big0.ino, 'a changed file is a file of its own');
});

test('the same version with different content, bad names and bad versions are refused', async () => {
  const env = await freshEnv('e5');
  await env.install(v1.meta, v1.fetchChunk);
  const impostor = { ...v11.meta, version: '1.0.0' };
  await assert.rejects(env.install(impostor, v11.fetchChunk), (e) => isKrpcError(e, 'ALREADY_EXISTS') && /different content/.test(e.message));
  await assert.rejects(env.activate('app', '9.9.9'), (e) => isKrpcError(e, 'NOT_FOUND') && /not installed/.test(e.message));
  await assert.rejects(env.activate('../etc', '1.0.0'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(env.activate('app', '../../x'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(env.remove('app', '1.0'), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await assert.rejects(env.install({ ...v1.meta, name: '../evil' }, v1.fetchChunk), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  const foreign = hostPlatform() === 'linux-aarch64' ? 'windows-amd64' : 'linux-aarch64';
  await assert.rejects(env.install({ ...v1.meta, version: '1.0.1', platform: foreign }, v1.fetchChunk), (e) => isKrpcError(e, 'FAILED_PRECONDITION') && /built for/.test(e.message));
  assert.deepEqual(await env.names(), ['app']);
});

test('remove refuses the current version; gc keeps current and previous', async () => {
  const env = await freshEnv('e6');
  await env.install(v1.meta, v1.fetchChunk);
  await env.install(v11.meta, v11.fetchChunk);
  await env.activate('app', '1.0.0');
  await env.activate('app', '1.1.0');
  await assert.rejects(env.remove('app', '1.1.0'), (e) => isKrpcError(e, 'FAILED_PRECONDITION') && /active version/.test(e.message));
  assert.deepEqual(await env.gc(), { removedVersions: [] });

  await env.remove('app', '1.0.0');
  assert.equal(await env.previous('app'), undefined);
  await assert.rejects(env.remove('app', '1.0.0'), (e) => isKrpcError(e, 'NOT_FOUND'));
  assert.deepEqual(await env.gc(), { removedVersions: [] });

  // Three versions: gc(0) keeps current + previous only.
  await env.install(v1.meta, v1.fetchChunk);
  const v12 = { ...v11.meta, version: '1.2.0' };
  await env.install(v12, v11.fetchChunk);
  await env.activate('app', '1.2.0');
  assert.deepEqual(await env.installed('app'), ['1.0.0', '1.1.0', '1.2.0']);
  assert.deepEqual((await env.gc(0)).removedVersions, ['app#1.0.0']);
  assert.deepEqual(await env.installed('app'), ['1.1.0', '1.2.0']);
});

test('concurrent installs of one pkg in one process make one directory and fetch once', async () => {
  const env = await freshEnv('e7');
  const other = await openPkgEnv(env.root);
  const f = countingFetch(v1, 5);
  const results = await Promise.all([env.install(v1.meta, f.fetch), env.install(v1.meta, f.fetch), other.install(v1.meta, f.fetch)]);
  assert.equal(results.filter((r) => !r.alreadyInstalled).length, 1);
  assert.equal(f.served.length, uniqueChunks(v1.meta).size);
  assert.deepEqual(await readdir(join(env.root, 'app')), ['1.0.0']);
});

async function runNode(args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string; pid: number }> {
  const child = spawn(process.execPath, args, { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { code, stdout, stderr, pid: child.pid! };
}

test('two processes installing the same version: both succeed, one directory, one download', async () => {
  const root = join(work, 'e8');
  await mkdir(root, { recursive: true });
  const script = join(work, 'install-child.mts');
  await writeFile(
    script,
    `import { openPkgEnv } from ${JSON.stringify(join(repoRoot, 'kernel/pkg/env.ts'))};
import { readPkgFile } from ${JSON.stringify(join(repoRoot, 'kernel/pkg/reader.ts'))};
const pkg = await readPkgFile(process.argv[2]);
const env = await openPkgEnv(process.argv[3]);
let fetched = 0;
const r = await env.install(pkg.meta, async (sha) => { fetched++; await new Promise((ok) => setTimeout(ok, 150)); return pkg.chunkReader.read(sha); });
console.log(JSON.stringify({ already: r.alreadyInstalled, fetched }));
`,
  );
  const pkgFile = join(work, 'app-1.0.0.pkg');
  const [a, b] = await Promise.all([runNode(['--import', 'tsx', script, pkgFile, root]), runNode(['--import', 'tsx', script, pkgFile, root])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const outs = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
  assert.deepEqual(outs.map((o) => o.already).sort(), [false, true]);
  assert.equal(outs.reduce((n, o) => n + o.fetched, 0), uniqueChunks(v1.meta).size);
  assert.deepEqual((await readdir(join(root, 'app'))).sort(), ['1.0.0']);
  assert.deepEqual(await readdir(join(root, '.staging')), []);
  assert.deepEqual(await readFile(join(root, 'app/1.0.0/assets/big.bin')), big);
});

test('a lock left by a dead process is broken; a live one makes others wait, then time out', async () => {
  const env = await freshEnv('e9');
  const dead = await runNode(['-e', '0']);
  await mkdir(join(env.root, 'app'), { recursive: true });
  await writeFile(join(env.root, 'app', '.lock'), JSON.stringify({ pid: dead.pid, nonce: 'x' }));
  const t0 = Date.now();
  await env.install(v1.meta, v1.fetchChunk);
  assert.ok(Date.now() - t0 < 30_000, "a dead holder's lock is broken at once, not waited out (60 s)");
  await assert.rejects(stat(join(env.root, 'app', '.lock')), /ENOENT/);

  const lockPath = join(work, 'held.lock');
  const release = await acquireFileLock(lockPath);
  await assert.rejects(acquireFileLock(lockPath, { timeoutMs: 150, what: 'pkg app' }), (e) => isKrpcError(e, 'TIMEOUT') && new RegExp(`process ${process.pid}`).test(e.message));
  const waiter = acquireFileLock(lockPath, { timeoutMs: 5000 });
  await sleep(100);
  await release();
  const release2 = await waiter;
  await release2();
  await assert.rejects(stat(lockPath), /ENOENT/);
});

test('staging left by a crashed process is cleaned when the env is opened', async () => {
  const root = join(work, 'e10');
  const dead = await runNode(['-e', '0']);
  await mkdir(join(root, '.staging', `${dead.pid}-abc`, 'content'), { recursive: true });
  await mkdir(join(root, '.staging', `${process.pid}-live`), { recursive: true });
  await openPkgEnv(root);
  assert.deepEqual(await readdir(join(root, '.staging')), [`${process.pid}-live`]);
});
