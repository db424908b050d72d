// Upstream sources: offline by default; a folder of .pkg files; another zone's repo (its published
// index). Entries are checked before they are kept (signatures, author pins, readiness upstream), and
// chunks come in only when a version is prepared.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import { silentLogger } from '../lib/log.js';
import { buildPkg } from '../pkg/build.js';
import { uniqueChunks, type PkgMeta } from '../pkg/format.js';
import { openPkgEnv } from '../pkg/env.js';
import { baseManifest, makePkgFolder, tempDir } from '../pkg/test-fixtures.js';
import { RepoClient } from './client.js';
import { repoPkgSource } from '../node-daemon/repo-pkg-source.js';
import { randomLoopback, removeDir, startTestRepo, testAuth, type TestAuth, type TestRepo } from './test-fixtures.js';

const SAMPLES = resolve(import.meta.dirname, '../../pkgs');
const host = randomLoopback();
const publisher = generateEd25519();
let work: string;
let auth: TestAuth;
let adminToken: string;
const repos: TestRepo[] = [];
const built: Record<string, { file: string; meta: PkgMeta }> = {};

async function build(dir: string, out: string, release?: string, key = publisher.privateKeyPem) {
  const r = await buildPkg(dir, { out: join(work, 'built', out), publisherKeyPem: key, release });
  built[`${r.meta.name}@${r.meta.version}`] = { file: r.file, meta: r.meta };
  return r;
}

async function newRepo(name: string): Promise<{ repo: TestRepo; client: RepoClient }> {
  const repo = await startTestRepo(auth, join(work, name), host);
  repos.push(repo);
  return { repo, client: new RepoClient(repo.url, adminToken) };
}

before(async () => {
  work = await tempDir('repo-sync');
  auth = await testAuth();
  adminToken = await auth.token('alice');
  await build(join(SAMPLES, 'notes'), 'notes-1.0.0.pkg');
  await build(join(SAMPLES, 'notes'), 'notes-1.1.0.pkg', '1.1.0');
  await build(join(SAMPLES, 'filedrop'), 'filedrop-1.0.0.pkg');
  await build(join(SAMPLES, 'sitehost'), 'sitehost-1.0.0.pkg');
  await build(await makePkgFolder(join(work, 'lib'), baseManifest('lib'), { 'main.mjs': 'export default 1;\n' }), 'lib-1.0.0.pkg');
  await build(await makePkgFolder(join(work, 'web'), { ...baseManifest('web'), deps: { lib: '^1.0.0' } }, { 'main.mjs': 'import "lib";\n' }), 'web-1.0.0.pkg');
  await build(await makePkgFolder(join(work, 'needy'), { ...baseManifest('needy'), deps: { absent: '^1' } }, { 'main.mjs': 'x' }), 'needy-1.0.0.pkg');
});

after(async () => {
  for (const r of repos) await r.stop();
  await removeDir(work);
});

const chunkCount = (...keys: string[]) => new Set(keys.flatMap((k) => [...uniqueChunks(built[k].meta).keys()])).size;

test('offline by default: with no sources nothing is fetched and unknown pkgs are reported', async () => {
  const { client } = await newRepo('offline');
  assert.equal((await client.stats()).sources, 0);
  await assert.rejects(client.prepareReady('notes'), (e) => isKrpcError(e, 'NOT_FOUND') && /no pkg named notes in this repo; publish it or sync it/.test((e as Error).message));
  const synced = await client.sync();
  assert.deepEqual(synced, { sources: [], prepared: [] });
});

test('a folder of .pkg files: sync indexes what checks out, prepare_ready brings the chunks in', async () => {
  const { repo, client } = await newRepo('from-dir');
  const dir = join(work, 'usb-stick');
  await mkdir(join(dir, 'apps'), { recursive: true });
  await copyFile(built['notes@1.0.0'].file, join(dir, 'notes-1.0.0.pkg'));
  await copyFile(built['filedrop@1.0.0'].file, join(dir, 'apps', 'filedrop.pkg'));
  const damaged = await readFile(built['filedrop@1.0.0'].file);
  damaged[damaged.length - 2000] ^= 1;
  await writeFile(join(dir, 'damaged.pkg'), damaged);
  await writeFile(join(dir, 'junk.pkg'), 'not a pkg');
  await client.setSources([{ type: 'dir', path: dir }]);

  const first = await client.sync();
  assert.equal(first.sources.length, 1);
  assert.equal(first.sources[0].source, `dir:${dir}`);
  assert.equal(first.sources[0].added, 2);
  assert.deepEqual(first.sources[0].refused.map((r) => r.id.slice(dir.length + 1)).sort(), ['damaged.pkg', 'junk.pkg']);
  assert.match(first.sources[0].refused.find((r) => r.id.endsWith('damaged.pkg'))!.reason, /^(INTEGRITY|INVALID_PARAMS): /);
  assert.deepEqual(first.prepared, [], 'nothing is in use yet, so no chunks are fetched');
  assert.equal((await client.stats()).chunks, 0);
  assert.deepEqual((await client.list()).map((e) => [e.name, e.ready_versions]), [['filedrop', []], ['notes', []]]);

  const prepared = await client.prepareReady('notes');
  assert.equal(prepared.ready, true);
  assert.equal(prepared.fetched_chunks, chunkCount('notes@1.0.0'));
  assert.equal((await client.stats()).chunks, chunkCount('notes@1.0.0'));

  // A newer release appears on the stick: sync prepares it because the zone uses notes.
  await copyFile(built['notes@1.1.0'].file, join(dir, 'notes-1.1.0.pkg'));
  const second = await client.sync();
  assert.equal(second.sources[0].added, 1);
  assert.equal(second.sources[0].known, 2);
  assert.deepEqual(second.prepared, [{ id: 'notes#1.1.0', ready: true }]);
  assert.equal((await client.stats()).chunks, chunkCount('notes@1.0.0', 'notes@1.1.0'));

  // prepare_ready of a pkg the index has never seen looks in the sources first.
  await copyFile(built['sitehost@1.0.0'].file, join(dir, 'sitehost.pkg'));
  assert.equal((await client.prepareReady('sitehost#^1')).ready, true);

  const env = await openPkgEnv(join(work, 'dir-node-env'));
  const installed = await repoPkgSource({ repoUrl: repo.url, token: await auth.token('n1', { kind: 'device' }), env }).ensureInstalled('notes#^1');
  assert.equal(installed.manifest.version, '1.1.0');
});

test('another zone\'s repo: ready entries and their dependencies come over, verified', async () => {
  const { client: upstream, repo: upstreamRepo } = await newRepo('upstream');
  for (const k of ['lib@1.0.0', 'web@1.0.0', 'needy@1.0.0']) await upstream.upload(built[k].file, { name: built[k].meta.name });
  const { client: local } = await newRepo('mirror');
  await local.setSources([{ type: 'repo', url: `${upstreamRepo.url}/kapi/repo`, token: await auth.token('n1', { kind: 'device' }) }]);

  const prepared = await local.prepareReady('web');
  assert.equal(prepared.ready, true);
  assert.deepEqual(prepared.closure, ['lib#1.0.0', 'web#1.0.0']);
  assert.equal(prepared.fetched_chunks, chunkCount('lib@1.0.0', 'web@1.0.0'));
  assert.equal((await local.getMeta('web')).meta_id, (await upstream.getMeta('web')).meta_id);

  const synced = await local.sync();
  assert.equal(synced.sources[0].source, `repo:${upstreamRepo.url}`);
  assert.equal(synced.sources[0].known, 2);
  assert.equal(synced.sources[0].added, 0, 'needy is not ready upstream, so it is not offered');
  assert.deepEqual((await local.list()).map((e) => e.name), ['lib', 'web']);

  // A pkg name pinned to one author here is not taken over by another author's entry upstream.
  const mallory = generateEd25519();
  const fork = await build(await makePkgFolder(join(work, 'lib-fork'), baseManifest('lib', '2.0.0'), { 'main.mjs': 'evil' }), 'lib-fork.pkg', undefined, mallory.privateKeyPem);
  const { client: other, repo: otherRepo } = await newRepo('other-upstream');
  await other.upload(fork.file, { name: 'lib' });
  await local.setSources([{ type: 'repo', url: otherRepo.url, token: adminToken }]);
  const refused = await local.sync();
  assert.equal(refused.sources[0].added, 0);
  assert.match(refused.sources[0].refused[0].reason, /^FAILED_PRECONDITION: lib is published by another author/);
  assert.deepEqual((await local.versions('lib')).map((v) => v.version), ['1.0.0']);
});

test('an upstream that alters a meta, or cannot be reached, is reported and changes nothing', async () => {
  const meta = built['filedrop@1.0.0'].meta;
  const info = await (async () => {
    const { client } = await newRepo('honest');
    await client.upload(built['filedrop@1.0.0'].file, { name: 'filedrop' });
    return client.getMeta('filedrop');
  })();
  const liar = createHttpServer({ log: silentLogger });
  registerKrpc(liar, '/kapi/repo', {
    list: { handler: () => [{ name: 'filedrop', versions: ['1.0.0'], latest: '1.0.0', ready_versions: ['1.0.0'], author: '' }] },
    get_meta: { handler: () => ({ ...info, meta: { ...meta, start: { cmd: ['node', 'evil.mjs'] } } }) },
  }, { log: silentLogger });
  await liar.listen({ host, port: 0 });
  try {
    const liarUrl = `http://${host}:${(liar.server.address() as { port: number }).port}`;
    const { client } = await newRepo('victim');
    await client.setSources([{ type: 'repo', url: liarUrl }, { type: 'dir', path: join(work, 'no-such-dir') }, { type: 'repo', url: `http://${host}:1` }]);
    const result = await client.sync();
    assert.equal(result.sources.length, 3);
    assert.equal(result.sources[0].added, 0);
    assert.match(result.sources[0].refused[0].reason, /^INTEGRITY: .*altered after signing/);
    assert.match(result.sources[1].error ?? '', /^UNAVAILABLE: source folder .*no-such-dir cannot be read/);
    assert.match(result.sources[2].error ?? '', /^UNAVAILABLE: cannot reach/);
    assert.deepEqual(await client.list(), []);
    const prep = await client.prepareReady('filedrop').catch((e) => e);
    assert.ok(isKrpcError(prep, 'NOT_FOUND'));
  } finally {
    await liar.close();
  }
});
