// Chunk delivery to nodes: Range requests on the chunk route, the batch route, a download cut mid-way that resumes with
// Range, the repo-backed pkg source installing into a real PkgEnv (only missing chunks, deps, signatures,
// damaged chunks refused), and a node process SIGKILLed mid-download that resumes on the next run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { buildPkg } from '../pkg/build.js';
import { sha256Hex } from '../pkg/canonical-json.js';
import { CHUNK_SIZE, uniqueChunks, type PkgMeta } from '../pkg/format.js';
import { openPkgEnv } from '../pkg/env.js';
import { baseManifest, makePkgFolder, tempDir } from '../pkg/test-fixtures.js';
import { RepoClient } from './client.js';
import { PARTIAL_DIR, repoPkgSource } from '../node-daemon/repo-pkg-source.js';
import { randomLoopback, removeDir, startProxy, startTestRepo, testAuth, treeSnapshot, type TestAuth, type TestRepo } from './test-fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(ROOT, 'pkgs');
const CHILD = join(import.meta.dirname, 'fixtures', 'install-child.ts');
const host = randomLoopback();
const publisher = generateEd25519();
let work: string;
let auth: TestAuth;
let repo: TestRepo;
let admin: RepoClient;
let nodeToken: string;
const metas: Record<string, PkgMeta> = {};

async function publish(dir: string, out: string, release?: string): Promise<PkgMeta> {
  const built = await buildPkg(dir, { out: join(work, out), publisherKeyPem: publisher.privateKeyPem, release });
  const r = await admin.upload(built.file, { name: built.meta.name });
  assert.equal(r.ready, true);
  metas[`${built.meta.name}@${built.meta.version}`] = built.meta;
  return built.meta;
}

before(async () => {
  work = await tempDir('repo-chunks');
  auth = await testAuth();
  repo = await startTestRepo(auth, join(work, 'repo'), host);
  admin = new RepoClient(repo.url, await auth.token('alice'));
  nodeToken = await auth.token('n1', { kind: 'device' });
  await publish(join(SAMPLES, 'notes'), 'notes-1.0.0.pkg');
  await publish(join(SAMPLES, 'notes'), 'notes-1.1.0.pkg', '1.1.0');
  await publish(await makePkgFolder(join(work, 'blob'), baseManifest('blob'), { 'main.mjs': 'x', 'data.bin': randomBytes(CHUNK_SIZE * 2 + 999) }), 'blob.pkg');
});

after(async () => {
  await repo?.stop();
  await removeDir(work);
});

/** The installed file has the size and the chunk hashes its meta lists. */
async function assertFileMatches(dir: string, f: PkgMeta['files'][number]) {
  const bytes = await readFile(join(dir, f.path));
  assert.equal(bytes.length, f.size, f.path);
  f.chunks.forEach((sha, i) => assert.equal(sha256Hex(bytes.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)), sha, f.path));
}

const chunkUrl = (sha: string) => `${repo.url}/kapi/repo/chunk/${sha}`;
const bigChunk = () => metas['blob@1.0.0'].files.find((f) => f.path === 'data.bin')!.chunks[0];

test('the chunk route serves whole chunks and single byte ranges, and refuses bad ranges with 416', async () => {
  const sha = bigChunk();
  const headers = { authorization: `Bearer ${nodeToken}` };
  const full = await fetch(chunkUrl(sha), { headers });
  assert.equal(full.status, 200);
  assert.equal(full.headers.get('etag'), `"${sha}"`);
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  assert.equal(full.headers.get('content-length'), String(CHUNK_SIZE));
  const bytes = Buffer.from(await full.arrayBuffer());
  assert.equal(sha256Hex(bytes), sha);

  const mid = await fetch(chunkUrl(sha), { headers: { ...headers, range: 'bytes=1000-1999' } });
  assert.equal(mid.status, 206);
  assert.equal(mid.headers.get('content-range'), `bytes 1000-1999/${CHUNK_SIZE}`);
  assert.deepEqual(Buffer.from(await mid.arrayBuffer()), bytes.subarray(1000, 2000));
  const tail = await fetch(chunkUrl(sha), { headers: { ...headers, range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(CHUNK_SIZE - 10));
  const open = await fetch(chunkUrl(sha), { headers: { ...headers, range: `bytes=${CHUNK_SIZE - 5}-` } });
  assert.deepEqual(Buffer.from(await open.arrayBuffer()), bytes.subarray(CHUNK_SIZE - 5));

  for (const range of [`bytes=${CHUNK_SIZE}-`, 'bytes=10-5', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-0']) {
    const res = await fetch(chunkUrl(sha), { headers: { ...headers, range } });
    assert.equal(res.status, 416, range);
    assert.equal(res.headers.get('content-range'), `bytes */${CHUNK_SIZE}`);
    assert.match(((await res.json()) as { error: string }).error, /^INVALID_PARAMS: cannot serve that range/);
  }
  const cached = await fetch(chunkUrl(sha), { headers: { ...headers, 'if-none-match': `"${sha}"` } });
  assert.equal(cached.status, 304);
  const head = await fetch(chunkUrl(sha), { method: 'HEAD', headers });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(CHUNK_SIZE));
  const missing = await fetch(chunkUrl('0'.repeat(64)), { headers });
  assert.equal(missing.status, 404);
  assert.match(((await missing.json()) as { error: string }).error, /^NOT_FOUND: chunk 0{64} is not in this repo/);
});

test('the batch route answers whole chunks in order, length-prefixed, and refuses bad lists before sending any', async () => {
  const node = new RepoClient(repo.url, nodeToken);
  const shas = metas['blob@1.0.0'].files.flatMap((f) => f.chunks);
  const wanted = [shas[2], shas[0], shas[1], shas[0]];
  const got: [string, Buffer][] = [];
  const pieces: string[] = [];
  await node.fetchChunks(wanted, { onChunk: (sha, chunk) => void got.push([sha, chunk]), onData: (sha, _p, offset) => void pieces.push(`${sha}@${offset}`) });
  assert.deepEqual(got.map(([sha]) => sha), wanted);
  for (const [sha, chunk] of got) assert.equal(sha256Hex(chunk), sha);
  assert.ok(pieces.includes(`${shas[0]}@0`), 'pieces are reported with their offset');

  const raw = await fetch(`${repo.url}/kapi/repo/chunks`, { method: 'POST', headers: { authorization: `Bearer ${nodeToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ chunks: [shas[1], shas[2]] }) });
  assert.equal(raw.status, 200);
  const body = Buffer.from(await raw.arrayBuffer());
  const first = body.readUInt32BE(0);
  assert.equal(sha256Hex(body.subarray(4, 4 + first)), shas[1]);
  assert.equal(sha256Hex(body.subarray(8 + first)), shas[2]);
  assert.equal(body.readUInt32BE(4 + first), body.length - 8 - first);

  const post = (payload: string, headers: Record<string, string> = { authorization: `Bearer ${nodeToken}` }) =>
    fetch(`${repo.url}/kapi/repo/chunks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
  const refusals: [string, Response, number, RegExp][] = [
    ['a missing chunk', await post(JSON.stringify({ chunks: [shas[0], '0'.repeat(64)] })), 404, /^NOT_FOUND: chunk 0{64}/],
    ['65 chunks', await post(JSON.stringify({ chunks: Array(65).fill(shas[0]) })), 400, /^INVALID_PARAMS: at most 64 chunks/],
    ['a malformed id', await post(JSON.stringify({ chunks: ['../../etc/passwd'] })), 400, /^INVALID_PARAMS: .* is not a chunk id/],
    ['bad JSON', await post('{"chunks": ['), 400, /^INVALID_PARAMS: the body is not valid JSON/],
    ['no token', await post(JSON.stringify({ chunks: [shas[0]] }), {}), 401, /^UNAUTHENTICATED: /],
  ];
  for (const [what, res, status, error] of refusals) {
    assert.equal(res.status, status, what);
    assert.match(((await res.json()) as { error: string }).error, error, what);
  }
  await assert.rejects(node.fetchChunks(['0'.repeat(64)], { onChunk: () => {} }), (e) => isKrpcError(e, 'NOT_FOUND'));
});

test('a download cut mid-way resumes with a Range request and ends with identical, verified bytes', async () => {
  const sha = bigChunk();
  const expected = await readFile(join(repo.root, 'chunks', sha.slice(0, 2), sha));
  const proxy = await startProxy(host, { host, port: repo.port }, { cutFirstAfter: 100_000 });
  try {
    const client = new RepoClient(proxy.url, nodeToken);
    const offsets: number[] = [];
    let received = 0;
    const chunk = await client.fetchChunk(sha, { onData: (piece, offset) => { offsets.push(offset); }, onBytes: (n) => { received = n; } });
    assert.deepEqual(chunk, expected);
    assert.equal(received, CHUNK_SIZE);
    const gets = proxy.requests.filter((r) => r.startsWith('GET'));
    assert.equal(gets.length, 2, 'one broken attempt, one resumed attempt');
    const resumedAt = Number(/range: bytes=(\d+)-/i.exec(gets[1])?.[1]);
    assert.ok(resumedAt > 0 && resumedAt < CHUNK_SIZE, `resumed at ${resumedAt}`);
    assert.ok(offsets.includes(resumedAt), 'the resumed piece continues where the first attempt stopped');
    assert.ok(!/range:/i.test(gets[0]));
  } finally {
    await proxy.close();
  }

  const direct = new RepoClient(repo.url, nodeToken);
  // A prefix saved by an earlier process resumes; a torn (wrong) prefix is detected and fetched whole.
  let firstOffset = -1;
  assert.deepEqual(await direct.fetchChunk(sha, { resumeFrom: expected.subarray(0, 5000), onData: (_p, o) => { if (firstOffset < 0) firstOffset = o; } }), expected);
  assert.equal(firstOffset, 5000);
  const torn = Buffer.from(expected.subarray(0, 5000));
  torn[10] ^= 0xff;
  assert.deepEqual(await direct.fetchChunk(sha, { resumeFrom: torn }), expected);
  assert.deepEqual(await direct.fetchChunk(sha, { resumeFrom: Buffer.concat([expected, Buffer.from('extra')]) }), expected);
  await assert.rejects(direct.fetchChunk('0'.repeat(64)), (e) => isKrpcError(e, 'NOT_FOUND'));
  await assert.rejects(new RepoClient(repo.url, 'forged.token.here').fetchChunk(sha), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('a full disk while a batch lands is the caller\'s error, not a broken download; a stalled answer ends when cancelled', async () => {
  const node = new RepoClient(repo.url, nodeToken);
  const shas = metas['blob@1.0.0'].files.flatMap((f) => f.chunks);
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  await assert.rejects(node.fetchChunks(shas, { onChunk: () => {}, onData: (_sha, _p, offset) => { if (offset > 0) throw full; } }), (e) => e === full);
  await assert.rejects(node.fetchChunk(shas[0], { onData: () => { throw full; } }), (e) => e === full);

  // A service that announces a whole chunk, sends a little of it and then nothing.
  const staller = createServer((socket) => {
    socket.once('data', (d) => {
      // The batch route frames each chunk with its 4-byte length.
      const frame = d.toString('latin1').startsWith('POST') ? Buffer.from([0, 4, 0, 0]) : Buffer.alloc(0);
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${frame.length + CHUNK_SIZE}\r\n\r\n`);
      socket.write(Buffer.concat([frame, Buffer.alloc(1000, 120)]));
    });
  });
  staller.listen(0, host);
  await once(staller, 'listening');
  try {
    const stalled = new RepoClient(`http://${host}:${(staller.address() as AddressInfo).port}`, nodeToken);
    for (const download of [
      (signal: AbortSignal) => stalled.fetchChunk(shas[0], { signal }),
      (signal: AbortSignal) => stalled.fetchChunks([shas[0]], { onChunk: () => {}, signal }),
    ]) {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 300);
      const t0 = Date.now();
      await assert.rejects(download(stop.signal), (e) => isKrpcError(e, 'UNAVAILABLE') && /cancelled/.test((e as Error).message));
      assert.ok(Date.now() - t0 < 10_000, 'the cancelled download ended');
    }
    // Nothing for the attempt's time: given up, not waited on forever.
    await assert.rejects(stalled.fetchChunk(shas[0], { attemptTimeoutMs: 300, maxAttempts: 2 }), (e) => isKrpcError(e, 'TIMEOUT') || isKrpcError(e, 'UNAVAILABLE'));
  } finally {
    staller.close();
  }
});

test('the repo pkg source installs into a pkg-env, fetching only chunks the node lacks, deps first', async () => {
  const env = await openPkgEnv(join(work, 'node-env'));
  const proxy = await startProxy(host, { host, port: repo.port });
  try {
    const source = repoPkgSource({ repoUrl: proxy.url, token: nodeToken, env });
    // Chunks asked for, one per GET plus those a batch names: its body is {"chunks":[…]}, 67 bytes per id.
    const batched = (r: string) => (Number(/content-length: (\d+)/i.exec(r)![1]) - 12) / 67;
    const chunkGets = () => proxy.requests.reduce((n, r) => n + (r.startsWith('GET /kapi/repo/chunk/') ? 1 : r.startsWith('POST /kapi/repo/chunks ') ? batched(r) : 0), 0);

    const v1 = await source.ensureInstalled('notes#1.0.0');
    assert.equal(v1.manifest.version, '1.0.0');
    assert.equal(v1.dir, env.dir('notes', '1.0.0'));
    for (const f of metas['notes@1.0.0'].files) await assertFileMatches(v1.dir, f);
    assert.equal(chunkGets(), uniqueChunks(metas['notes@1.0.0']).size);
    assert.ok(proxy.requests.some((r) => r.startsWith('POST /kapi/repo/chunks ')), 'whole chunks come in batches');
    assert.equal(await env.current('notes'), '1.0.0');

    const progress: number[] = [];
    const v11 = await source.ensureInstalled('notes#^1', (p) => progress.push(p.bytes));
    assert.equal(v11.manifest.version, '1.1.0');
    const old = uniqueChunks(metas['notes@1.0.0']);
    const fresh = [...uniqueChunks(metas['notes@1.1.0']).keys()].filter((sha) => !old.has(sha));
    assert.equal(chunkGets(), old.size + fresh.length, 'the upgrade downloads only the chunks that changed');
    assert.deepEqual([await env.current('notes'), await env.previous('notes')], ['1.1.0', '1.0.0']);
    assert.ok(progress.length > 0);

    const before = chunkGets();
    await source.ensureInstalled('notes#1.1.0');
    assert.equal(chunkGets(), before, 'an installed version downloads nothing');
    assert.deepEqual(await readdir(join(env.root, PARTIAL_DIR)), []);

    // Dependencies come first and are activated too.
    await publish(await makePkgFolder(join(work, 'lib'), baseManifest('lib'), { 'main.mjs': 'export default 1;\n' }), 'lib.pkg');
    await publish(await makePkgFolder(join(work, 'web'), { ...baseManifest('web'), deps: { lib: '^1.0.0' } }, { 'main.mjs': 'import "lib";\n' }), 'web.pkg');
    await source.ensureInstalled('web');
    assert.equal(await env.current('lib'), '1.0.0');
    assert.equal(await env.current('web'), '1.0.0');
  } finally {
    await proxy.close();
  }
});

test('a node refuses a damaged chunk and an unready version, and installs nothing', async () => {
  const env = await openPkgEnv(join(work, 'node-env-2'));
  const source = repoPkgSource({ repoUrl: repo.url, token: nodeToken, env });
  const meta = await publish(await makePkgFolder(join(work, 'victim'), baseManifest('victim'), { 'main.mjs': 'console.log("ok")\n' }), 'victim.pkg');
  const sha = meta.files.find((f) => f.path === 'main.mjs')!.chunks[0];
  const stored = join(repo.root, 'chunks', sha.slice(0, 2), sha);
  const good = await readFile(stored);
  await writeFile(stored, Buffer.from('console.log("pwned")\n'));
  const before = await treeSnapshot(env.root);
  try {
    await assert.rejects(source.ensureInstalled('victim'), (e) => isKrpcError(e, 'INTEGRITY') && /damaged/.test((e as Error).message));
    assert.deepEqual(await env.installed('victim'), []);
    assert.ok(!(await readdir(join(env.root, PARTIAL_DIR))).includes(sha), 'damaged bytes are not kept as a partial download');
  } finally {
    await writeFile(stored, good);
  }
  const unready = await buildPkg(await makePkgFolder(join(work, 'needy'), { ...baseManifest('needy'), deps: { absent: '^1' } }, { 'main.mjs': 'x' }), { out: join(work, 'needy.pkg'), publisherKeyPem: publisher.privateKeyPem });
  await admin.upload(unready.file, { name: 'needy' });
  await assert.rejects(source.ensureInstalled('needy'), (e) => isKrpcError(e, 'NOT_FOUND') && /not ready/.test((e as Error).message));
  assert.deepEqual((await treeSnapshot(env.root)).filter((p) => !p.startsWith(PARTIAL_DIR) && !p.startsWith('victim/') && !p.startsWith('needy/')), before.filter((p) => !p.startsWith(PARTIAL_DIR)));
  assert.equal((await source.ensureInstalled('victim')).manifest.name, 'victim', 'with the chunk repaired the install succeeds');
});

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

function runInstall(repoUrl: string, envDir: string, pkgId: string, killWhen?: () => boolean): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, repoUrl, envDir, pkgId], {
    cwd: ROOT,
    env: { ...process.env, REPO_TOKEN: nodeToken },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  let poll: NodeJS.Timeout | undefined;
  if (killWhen) poll = setInterval(() => { if (killWhen()) child.kill('SIGKILL'); }, 10);
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`install child timed out: ${stderr}`)); }, 25_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      if (code !== 0 && signal === null) reject(new Error(`install child failed (${code}): ${stderr}`));
      else resolveRun({ code, signal, lines });
    });
  });
}

test('a node-daemon killed mid-download resumes on the next run and the install verifies', async () => {
  const total = 12 * CHUNK_SIZE + 4321;
  const blob = randomBytes(total);
  await publish(await makePkgFolder(join(work, 'big'), baseManifest('big'), { 'main.mjs': 'x', 'blob.bin': blob }), 'big.pkg');
  const envDir = join(work, 'killed-env');

  // A slow link (6 MiB/s) so the kill lands mid-download; the child is killed after about a third.
  const slow = await startProxy(host, { host, port: repo.port }, { bytesPerSecond: 6 * 1024 * 1024 });
  let first: ChildRun;
  try {
    first = await runInstall(slow.url, envDir, 'big#1.0.0', () => slow.downBytes() > total / 3);
  } finally {
    await slow.close();
  }
  assert.equal(first.signal, 'SIGKILL');
  assert.ok(!first.lines.some((l) => l.includes('"done"')), 'the first run did not finish');
  const firstBytes = slow.downBytes();
  assert.ok(firstBytes < total, `the first run got ${firstBytes} of ${total} bytes`);
  const partials = await readdir(join(envDir, PARTIAL_DIR));
  assert.ok(partials.length > 0, 'downloaded chunks were kept on disk');
  assert.deepEqual(await (await openPkgEnv(envDir)).installed('big'), []);
  // The chunk that was arriving when the kill came (if the kill fell between two chunks, cut one short).
  const sizes = await Promise.all(partials.map(async (p) => ({ sha: p, size: (await stat(join(envDir, PARTIAL_DIR, p))).size })));
  let torn = sizes.find((p) => p.size > 0 && p.size < CHUNK_SIZE);
  if (!torn) {
    torn = { sha: sizes[0].sha, size: CHUNK_SIZE / 2 };
    await truncate(join(envDir, PARTIAL_DIR, torn.sha), torn.size);
  }

  await sleep(50);
  const fast = await startProxy(host, { host, port: repo.port });
  let second: ChildRun;
  try {
    second = await runInstall(fast.url, envDir, 'big#1.0.0');
  } finally {
    await fast.close();
  }
  assert.equal(second.code, 0);
  const resumedGet = fast.requests.find((r) => r.startsWith(`GET /kapi/repo/chunk/${torn.sha}`));
  assert.match(resumedGet ?? '', new RegExp(`range: bytes=${torn.size}-`, 'i'), 'the half-downloaded chunk resumed where it stopped');
  for (const p of sizes.filter((p) => p.size === CHUNK_SIZE && p.sha !== torn.sha)) {
    assert.ok(!fast.requests.some((r) => r.startsWith(`GET /kapi/repo/chunk/${p.sha}`)), 'a chunk downloaded before the kill is not fetched again');
  }
  const done = JSON.parse(second.lines.find((l) => l.includes('"done"'))!).done as { dir: string; version: string };
  assert.equal(done.version, '1.0.0');
  const secondBytes = fast.downBytes();
  console.log(`killed after ${firstBytes} bytes; resumed run fetched ${secondBytes} of ${total}`);
  assert.ok(secondBytes < total, `the resumed run fetched ${secondBytes} bytes, less than the ${total} of the pkg`);
  // What the first run had persisted (bytes the proxy sent may still have sat in socket buffers at the kill).
  const persisted = sizes.reduce((n, p) => n + (p.sha === torn.sha ? torn.size : p.size), 0);
  assert.ok(persisted > 0, 'the first run persisted part of the download');
  assert.ok(secondBytes < total - persisted / 2, `the resumed run reused what the first run had persisted (${persisted} of ${firstBytes} sent, then ${secondBytes})`);
  assert.equal(sha256Hex(await readFile(join(done.dir, 'blob.bin'))), sha256Hex(blob));
  const env = await openPkgEnv(envDir);
  assert.equal(await env.current('big'), '1.0.0');
  assert.deepEqual(await readdir(join(envDir, PARTIAL_DIR)), [], 'partial downloads are cleaned up after the install');
});
