// repo-server on a random loopback address with real .pkg files (the sample apps in pkgs/ and generated
// ones): publish and the index queries, dedup, refusal of bad pkgs with nothing stored, author pinning,
// tokens and RBAC, bad input, prepare_ready with dependencies, GC of everything but current + previous.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { signJwt } from '../lib/identity/jwt.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { buildPkg } from '../pkg/build.js';
import { canonicalJson, sha256Hex } from '../pkg/canonical-json.js';
import { CHUNK_SIZE, metaIdOf, uniqueChunks, type PkgMeta } from '../pkg/format.js';
import { baseManifest, makePkgFolder, rawTar, tarEntries, tempDir, type RawEntry } from '../pkg/test-fixtures.js';
import { verifyMetaSignature } from '../pkg/verify.js';
import { RepoClient } from './client.js';
import { publishPkg } from './publish.js';
import { emptyDir, randomLoopback, removeDir, startTestRepo, testAuth, treeSnapshot, type TestAuth, type TestRepo } from './test-fixtures.js';

const SAMPLES = resolve(import.meta.dirname, '../../pkgs');
const host = randomLoopback();
const publisher = generateEd25519();
let work: string;
let auth: TestAuth;
let repo: TestRepo;
let admin: RepoClient;
let adminToken: string;
const built: Record<string, { file: string; meta: PkgMeta; metaId: string }> = {};

async function build(dir: string, out: string, release?: string, key = publisher.privateKeyPem) {
  const r = await buildPkg(dir, { out: join(work, out), publisherKeyPem: key, release });
  return { file: r.file, meta: r.meta, metaId: r.metaId };
}

before(async () => {
  work = await tempDir('repo-server');
  auth = await testAuth();
  repo = await startTestRepo(auth, join(work, 'repo'), host);
  adminToken = await auth.token('alice');
  admin = new RepoClient(repo.url, adminToken);
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) built[`notes@${v}`] = await build(join(SAMPLES, 'notes'), `notes-${v}.pkg`, v === '1.0.0' ? undefined : v);
  built['filedrop@1.0.0'] = await build(join(SAMPLES, 'filedrop'), 'filedrop-1.0.0.pkg');
});

after(async () => {
  await repo?.stop();
  await removeDir(work);
});

const chunkFile = (sha: string) => join(repo.root, 'chunks', sha.slice(0, 2), sha);

async function assertKrpc(p: Promise<unknown>, code: ErrorCode, pattern: RegExp) {
  await assert.rejects(p, (e) => {
    assert.ok(isKrpcError(e, code), `expected ${code}, got ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('publish the sample apps, then list, versions and get_meta describe them', async () => {
  const progress: string[] = [];
  const first = await publishPkg({ file: built['notes@1.0.0'].file, zone: repo.url, sessionToken: adminToken, onProgress: (p) => progress.push(p.phase) });
  assert.equal(first.name, 'notes');
  assert.equal(first.version, '1.0.0');
  assert.equal(first.meta_id, built['notes@1.0.0'].metaId);
  assert.equal(first.already_published, false);
  assert.equal(first.ready, true);
  assert.equal(first.new_chunks, uniqueChunks(built['notes@1.0.0'].meta).size);
  assert.deepEqual([progress[0], progress[progress.length - 1]], ['check', 'import']);
  await publishPkg({ file: built['filedrop@1.0.0'].file, zone: repo.url, sessionToken: adminToken });

  const list = await admin.list();
  assert.deepEqual(list.map((e) => [e.name, e.versions, e.latest, e.ready_versions, e.author]), [
    ['filedrop', ['1.0.0'], '1.0.0', ['1.0.0'], 'buckyos-desktop'],
    ['notes', ['1.0.0'], '1.0.0', ['1.0.0'], 'buckyos-desktop'],
  ]);
  const versions = await admin.versions('notes');
  assert.equal(versions.length, 1);
  assert.equal(versions[0].meta_id, first.meta_id);
  assert.equal(versions[0].size, built['notes@1.0.0'].meta.size);
  assert.ok(versions[0].published_at > 1_600_000_000);

  const info = await admin.getMeta('notes#^1');
  assert.equal(info.version, '1.0.0');
  assert.equal(info.ready, true);
  assert.equal(metaIdOf(info.meta), info.meta_id);
  assert.equal(await verifyMetaSignature(info.meta, info.meta, info.signature), info.meta_id);
  for (const sha of uniqueChunks(info.meta).keys()) assert.equal(sha256Hex(await readFile(chunkFile(sha))), sha);

  await assertKrpc(admin.getMeta('notes#^2'), 'NOT_FOUND', /no version of notes matches notes#\^2; the repo has 1\.0\.0/);
  await assertKrpc(admin.versions('nothing-here'), 'NOT_FOUND', /no pkg named nothing-here/);
  await assertKrpc(admin.getMeta(`notes#${first.meta_id}`).then((m) => assert.equal(m.version, '1.0.0')).then(() => admin.getMeta('notes#*:beta')), 'NOT_FOUND', /no tags/);
});

test('publishing 1.1.0 after 1.0.0 stores only the chunks that changed', async () => {
  const before = await admin.stats();
  const old = uniqueChunks(built['notes@1.0.0'].meta);
  const next = uniqueChunks(built['notes@1.1.0'].meta);
  const fresh = [...next.keys()].filter((sha) => !old.has(sha));
  assert.ok(fresh.length > 0 && fresh.length < next.size, 'the 1.1.0 overlay changes some files and keeps others');

  const r = await publishPkg({ file: built['notes@1.1.0'].file, zone: repo.url, sessionToken: adminToken });
  assert.equal(r.new_chunks, fresh.length);
  assert.equal(r.reused_chunks, next.size - fresh.length);
  assert.equal(r.new_bytes, fresh.reduce((n, sha) => n + next.get(sha)!, 0));
  const after = await admin.stats();
  assert.equal(after.chunks - before.chunks, fresh.length);
  assert.equal(after.chunk_bytes - before.chunk_bytes, r.new_bytes);
  assert.equal(after.content_bytes - before.content_bytes, built['notes@1.1.0'].meta.size);
  assert.ok(after.content_bytes > after.chunk_bytes, 'dedup: the store holds less than the versions add up to');

  const again = await publishPkg({ file: built['notes@1.1.0'].file, zone: repo.url, sessionToken: adminToken });
  assert.equal(again.already_published, true);
  assert.equal(again.new_chunks, 0);
  assert.deepEqual(await admin.stats(), after);
  assert.equal((await admin.getMeta('notes')).version, '1.1.0');
});

/** Uploads `file` as `name` straight to the server (no local check) and expects a refusal that changed nothing. */
async function assertUploadRefused(file: string, name: string, code: ErrorCode, pattern: RegExp, client = admin, target = repo) {
  const before = await treeSnapshot(target.root);
  await assertKrpc(client.upload(file, { name }), code, pattern);
  assert.deepEqual(await treeSnapshot(target.root), before, 'a refused upload must leave the index and chunk store unchanged');
  assert.ok(await emptyDir(join(target.root, 'tmp')), 'the upload temp file is removed');
}

let crafted = 0;
async function writeCrafted(entries: RawEntry[] | Buffer): Promise<string> {
  const file = join(work, `crafted-${++crafted}.pkg`);
  await writeFile(file, Buffer.isBuffer(entries) ? entries : rawTar(entries));
  return file;
}

test('bad pkgs are refused with a clear error and nothing is stored', async () => {
  const dir = await makePkgFolder(join(work, 'evil-src'), baseManifest('evil'), { 'main.mjs': 'console.log("hi")\n', 'big.bin': randomBytes(CHUNK_SIZE + 10) });
  const good = await build(dir, 'evil-good.pkg');
  const entries = await tarEntries(good.file);
  const meta = JSON.parse(entries.find((e) => e.path === 'meta.json')!.data!.toString()) as PkgMeta;
  const chunks = entries.filter((e) => e.path.startsWith('chunks/'));

  const bytes = await readFile(good.file);
  const at = bytes.indexOf(Buffer.from('console.log("hi")'));
  bytes[at] ^= 1;
  await assertUploadRefused(await writeCrafted(bytes), 'evil', 'INTEGRITY', /chunk [0-9a-f]{64} is damaged/);

  const forged = await signJwt({ meta_id: metaIdOf(meta), name: 'evil', version: '1.0.0' }, generateEd25519().privateKeyPem);
  await assertUploadRefused(await writeCrafted(entries.map((e) => (e.path === 'meta.sig' ? { ...e, data: Buffer.from(forged) } : e))), 'evil', 'INTEGRITY', /does not verify with its author key/);
  const altered = entries.map((e) => (e.path === 'meta.json' ? { ...e, data: Buffer.from(canonicalJson({ ...meta, description: 'evil' })) } : e));
  await assertUploadRefused(await writeCrafted(altered), 'evil', 'INTEGRITY', /altered after signing/);

  const payload = Buffer.from('#!/bin/sh\necho pwned\n');
  await assertUploadRefused(await writeCrafted([...entries, { path: '../../evil.sh', data: payload }]), 'evil', 'INVALID_PARAMS', /climbs out/);
  await assertUploadRefused(await writeCrafted([...entries, { path: '/etc/cron.d/evil', data: payload }]), 'evil', 'INVALID_PARAMS', /absolute path/);
  await assertUploadRefused(await writeCrafted([...entries, { path: 'chunks/x', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), 'evil', 'INVALID_PARAMS', /link to "\/etc\/passwd"/);

  // A correctly signed meta whose file list escapes the install dir (zip-slip through the meta).
  const signedBy = async (m: PkgMeta) => {
    const sig = await signJwt({ meta_id: metaIdOf(m), name: m.name, version: m.version }, publisher.privateKeyPem);
    return writeCrafted([{ path: 'meta.json', data: Buffer.from(canonicalJson(m)) }, { path: 'meta.sig', data: Buffer.from(sig) }, ...chunks]);
  };
  const moved = (path: string) => ({ ...meta, files: meta.files.map((f) => (f.path === 'main.mjs' ? { ...f, path } : f)) });
  await assertUploadRefused(await signedBy(moved('../../../home/user/.bashrc')), 'evil', 'INVALID_PARAMS', /climbs out/);
  await assertUploadRefused(await signedBy(moved('/usr/bin/node')), 'evil', 'INVALID_PARAMS', /absolute/);

  await assertUploadRefused(await writeCrafted(Buffer.from('not a pkg at all')), 'evil', 'INVALID_PARAMS', /not a pkg file/);
  await assertUploadRefused(good.file, 'other-name', 'INVALID_PARAMS', /declared as other-name but the pkg file holds evil/);
  await assertKrpc(publishPkg({ file: await writeCrafted(bytes), zone: repo.url, sessionToken: adminToken }), 'INTEGRITY', /damaged/);
  await assertKrpc(admin.versions('evil'), 'NOT_FOUND', /no pkg named evil/);
});

test('oversize uploads are refused, before reading when the size is declared', async () => {
  const small = await startTestRepo(auth, join(work, 'small-repo'), host, { limits: { maxTotalBytes: 512 * 1024 }, maxUploadBytes: 1024 * 1024 });
  try {
    const client = new RepoClient(small.url, adminToken);
    const mid = await build(await makePkgFolder(join(work, 'mid'), baseManifest('mid'), { 'main.mjs': 'x', 'a.bin': randomBytes(700 * 1024) }), 'mid.pkg');
    await assertUploadRefused(mid.file, 'mid', 'PAYLOAD_TOO_LARGE', /larger than the 524288 bytes allowed|at most 524288/, client, small);
    const huge = await build(await makePkgFolder(join(work, 'huge'), baseManifest('huge'), { 'main.mjs': 'x', 'a.bin': randomBytes(3 * 1024 * 1024) }), 'huge.pkg');
    await assertUploadRefused(huge.file, 'huge', 'PAYLOAD_TOO_LARGE', /larger than the 1048576 bytes this repo accepts/, client, small);

    // Without a declared length (chunked body) the limit cuts the stream.
    const res = await fetch(`${small.url}/kapi/repo/upload?name=huge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}` },
      body: new Blob([await readFile(huge.file)]).stream(),
      duplex: 'half',
    });
    assert.equal(res.status, 413);
    assert.match(((await res.json()) as { error: string }).error, /^PAYLOAD_TOO_LARGE: /);
    assert.deepEqual(await client.list(), []);
    assert.ok(await emptyDir(join(small.root, 'tmp')));
  } finally {
    await small.stop();
  }
});

test('a pkg name stays with its author unless the change is forced', async () => {
  const mallory = generateEd25519();
  const dir = await makePkgFolder(join(work, 'notes-fork'), { ...baseManifest('notes', '1.5.0'), author: 'mallory' }, { 'main.mjs': 'evil notes' });
  const fork = await build(dir, 'notes-fork.pkg', undefined, mallory.privateKeyPem);
  await assertUploadRefused(fork.file, 'notes', 'FAILED_PRECONDITION', /notes is published by another author .*"buckyos-desktop".*--force-author-change/);
  const forced = await admin.upload(fork.file, { name: 'notes', forceAuthorChange: true });
  assert.equal(forced.version, '1.5.0');
  assert.equal((await admin.list()).find((e) => e.name === 'notes')!.author, 'mallory');

  // Versions never change: the same version with other content is refused.
  const clash = await build(await makePkgFolder(join(work, 'clash'), baseManifest('notes', '1.5.0'), { 'main.mjs': 'other' }), 'clash.pkg', undefined, mallory.privateKeyPem);
  await assertUploadRefused(clash.file, 'notes', 'ALREADY_EXISTS', /notes#1\.5\.0 is already published with different content/);
});

test('tokens and RBAC: no token, forged, expired, and roles without the right are refused', async () => {
  const raw = (token?: string) => new KrpcClient(`${repo.url}/kapi/repo`, { token });
  const before = await treeSnapshot(repo.root);
  await assertKrpc(raw().call('list'), 'UNAUTHENTICATED', /needs a token/);
  await assertKrpc(raw(await auth.token('alice', { key: generateEd25519().privateKeyPem })).call('list'), 'UNAUTHENTICATED', /signature/);
  await assertKrpc(raw(await auth.token('alice', { ttl: -60 })).call('list'), 'TOKEN_EXPIRED', /expired/);
  await assertKrpc(raw('not.a.jwt').call('stats'), 'UNAUTHENTICATED', /./);

  const bob = new RepoClient(repo.url, await auth.token('bob'));
  assert.ok((await bob.list()).length > 0, 'a user may browse');
  await assertKrpc(bob.upload(built['notes@1.2.0'].file, { name: 'notes' }), 'PERMISSION_DENIED', /bob \(app control-panel\) may not publish or prepare pkg notes/);
  await assertKrpc(bob.prepareReady('notes'), 'PERMISSION_DENIED', /may not publish or prepare/);
  await assertKrpc(bob.gc({}), 'PERMISSION_DENIED', /may not administer this repo/);
  await assertKrpc(bob.setSources([]), 'PERMISSION_DENIED', /administer/);

  const node = new RepoClient(repo.url, await auth.token('n1', { kind: 'device' }));
  assert.equal((await node.resolve('notes#~1.1')).version, '1.1.0');
  await assertKrpc(node.upload(built['notes@1.2.0'].file, { name: 'notes' }), 'PERMISSION_DENIED', /n1 \(app node-daemon\)/);
  await assertKrpc(node.sync(), 'PERMISSION_DENIED', /administer/);

  const sha = [...uniqueChunks(built['notes@1.0.0'].meta).keys()][0];
  assert.equal((await fetch(`${repo.url}/kapi/repo/chunk/${sha}`)).status, 401);
  const forgedChunk = await fetch(`${repo.url}/kapi/repo/chunk/${sha}`, { headers: { authorization: `Bearer ${await auth.token('n1', { key: generateEd25519().privateKeyPem })}` } });
  assert.equal(forgedChunk.status, 401);
  assert.match(((await forgedChunk.json()) as { error: string }).error, /^UNAUTHENTICATED: /);
  const up = await fetch(`${repo.url}/kapi/repo/upload?name=notes`, { method: 'PUT', body: await readFile(built['notes@1.2.0'].file) });
  assert.equal(up.status, 401);
  assert.deepEqual(await treeSnapshot(repo.root), before, 'refused calls change nothing');
});

test('bad input gets INVALID_PARAMS and changes nothing', async () => {
  const raw = new KrpcClient(`${repo.url}/kapi/repo`, { token: adminToken });
  const before = await treeSnapshot(repo.root);
  await assertKrpc(admin.getMeta('../../etc/passwd'), 'INVALID_PARAMS', /pkg name/);
  await assertKrpc(admin.getMeta('notes#not-a-range!'), 'INVALID_PARAMS', /neither a version/);
  await assertKrpc(admin.getMeta('x'.repeat(600)), 'INVALID_PARAMS', /params\.id/);
  await assertKrpc(raw.call('versions', { name: 5 }), 'INVALID_PARAMS', /params\.name must be string/);
  await assertKrpc(raw.call('get_meta', {}), 'INVALID_PARAMS', /required property 'id'/);
  await assertKrpc(admin.gc({ notes: ['latest'] }), 'INVALID_PARAMS', /not an exact version/);
  await assertKrpc(admin.gc({ 'Bad Name': ['1.0.0'] }), 'INVALID_PARAMS', /pkg name/);
  await assertKrpc(admin.setSources([{ type: 'dir', path: 'relative/dir' }]), 'INVALID_PARAMS', /absolute "path"/);
  await assertKrpc(admin.setSources([{ type: 'repo', url: 'ftp://x' }]), 'INVALID_PARAMS', /http:\/\/ or https:\/\//);
  await assertKrpc(raw.call('set_sources', { sources: Array(17).fill({ type: 'dir', path: '/x' }) }), 'INVALID_PARAMS', /must NOT have more than 16 items/);
  await assertKrpc(raw.call('drop_everything'), 'UNKNOWN_METHOD', /drop_everything/);
  const badChunk = await fetch(`${repo.url}/kapi/repo/chunk/..%2F..%2Findex.json`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(badChunk.status, 400);
  const badName = await fetch(`${repo.url}/kapi/repo/upload?name=..%2Fx`, { method: 'PUT', headers: { authorization: `Bearer ${adminToken}` }, body: 'x' });
  assert.equal(badName.status, 400);
  assert.match(((await badName.json()) as { error: string }).error, /^INVALID_PARAMS: the upload needs \?name=/);
  assert.deepEqual(await treeSnapshot(repo.root), before);
});

test('prepare_ready resolves dependencies; nodes are only sent ready versions', async () => {
  const lib = (v: string) => makePkgFolder(join(work, `lib-${v}`), baseManifest('lib', v), { 'main.mjs': `export const v = "${v}";\n` });
  const web = await build(await makePkgFolder(join(work, 'web'), { ...baseManifest('web'), deps: { lib: '^1.0.0' } }, { 'main.mjs': 'import "lib";\n' }), 'web.pkg');
  const published = await admin.upload(web.file, { name: 'web' });
  assert.equal(published.ready, false, 'a pkg whose dependency is missing is not ready');
  await assertKrpc(admin.resolve('web'), 'NOT_FOUND', /web#1\.0\.0 is in the repo but not ready/);
  assert.equal((await admin.resolve('web', { includeUnready: true }).catch((e) => e)).message, 'web#1.0.0 needs lib#^1.0.0 (needed by web#1.0.0), which is not in this repo');

  const blocked = await admin.prepareReady('web');
  assert.equal(blocked.ready, false);
  assert.deepEqual(blocked.unresolved, ['lib#^1.0.0 (needed by web#1.0.0)']);

  await admin.upload((await build(await lib('1.0.0'), 'lib-1.0.0.pkg')).file, { name: 'lib' });
  const prepared = await admin.prepareReady('web#1');
  assert.equal(prepared.ready, true);
  assert.deepEqual(prepared.closure, ['lib#1.0.0', 'web#1.0.0']);
  assert.equal(prepared.fetched_chunks, 0);
  const resolved = await admin.resolve('web');
  assert.equal(resolved.version, '1.0.0');
  assert.deepEqual(resolved.deps.map((d) => `${d.name}#${d.version}`), ['lib#1.0.0']);

  await admin.upload((await build(await lib('1.1.0'), 'lib-1.1.0.pkg')).file, { name: 'lib' });
  assert.deepEqual((await admin.resolve('web')).deps.map((d) => d.version), ['1.1.0']);
  assert.equal((await admin.getMeta('web')).ready, true);
});

test('GC keeps current + previous of what is installed, the newest of the rest, and their deps', async () => {
  await admin.upload(built['notes@1.2.0'].file, { name: 'notes', forceAuthorChange: true });
  const keep = { notes: ['1.2.0', '1.1.0'], web: ['1.0.0'] };
  const chunksOf = (k: string) => new Set(uniqueChunks(built[k].meta).keys());
  const keptChunks = new Set([...chunksOf('notes@1.1.0'), ...chunksOf('notes@1.2.0')]);
  const onlyOld = [...chunksOf('notes@1.0.0')].filter((sha) => !keptChunks.has(sha));
  assert.ok(onlyOld.length > 0);
  const before = await admin.stats();

  const result = await admin.gc(keep);
  assert.deepEqual(result.removed_versions, ['lib#1.0.0', 'notes#1.0.0']);
  assert.ok(result.kept_versions.includes('lib#1.1.0'), 'web depends on lib ^1: the newest lib stays');
  assert.ok(result.kept_versions.includes('notes#1.5.0'), 'the newest notes stays');
  assert.ok(result.kept_versions.includes('filedrop#1.0.0'), 'a pkg nobody installed keeps its newest version');
  for (const sha of onlyOld) await assert.rejects(stat(chunkFile(sha)), /ENOENT/);
  for (const sha of keptChunks) await stat(chunkFile(sha));
  const after = await admin.stats();
  assert.equal(before.chunk_bytes - after.chunk_bytes, result.freed_bytes);
  assert.ok(result.freed_bytes >= onlyOld.reduce((n, sha) => n + uniqueChunks(built['notes@1.0.0'].meta).get(sha)!, 0));

  const versions = await admin.versions('notes');
  assert.deepEqual(versions.map((v) => [v.version, v.ready]), [['1.0.0', false], ['1.1.0', true], ['1.2.0', true], ['1.5.0', true]]);
  await assertKrpc(admin.resolve('notes#1.0.0'), 'NOT_FOUND', /not ready/);
  const gone = await fetch(`${repo.url}/kapi/repo/chunk/${onlyOld[0]}`, { headers: { authorization: `Bearer ${adminToken}` } });
  assert.equal(gone.status, 404);

  // Offline (no sources): preparing the collected version reports what is missing; publishing the same file brings it back.
  const offline = await admin.prepareReady('notes#1.0.0');
  assert.equal(offline.ready, false);
  assert.equal(offline.missing_count, onlyOld.length);
  const back = await admin.upload(built['notes@1.0.0'].file, { name: 'notes' });
  assert.equal(back.already_published, true);
  assert.equal(back.new_chunks, onlyOld.length);
  assert.equal(back.ready, true);
  assert.equal((await admin.gc(keep)).removed_versions.includes('notes#1.0.0'), true);
  assert.ok((await readdir(join(repo.root, 'metas'))).length >= 7);
});

test('a restarted repo has the same index, store and readiness', async () => {
  const before = { list: await admin.list(), stats: await admin.stats(), meta: await admin.getMeta('notes#1.1.0') };
  await repo.stop();
  repo = await startTestRepo(auth, repo.root, host);
  admin = new RepoClient(repo.url, adminToken);
  assert.deepEqual(await admin.list(), before.list);
  assert.deepEqual(await admin.stats(), before.stats);
  assert.deepEqual(await admin.getMeta('notes#1.1.0'), before.meta);
  assert.equal((await admin.resolve('web')).deps[0].name, 'lib');
});
