// Building pkgs from real folders and refusing every kind of bad pkg file before anything is installed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, symlink, writeFile, mkdir, chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { signJwt } from '../lib/identity/jwt.js';
import { buildPkg } from './build.js';
import { readPkgFile, type ReadPkgOptions } from './reader.js';
import { openPkgEnv, type PkgEnv } from './env.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { CHUNK_SIZE, metaIdOf, type PkgMeta } from './format.js';
import { loadPublisherKey } from './publisher-key.js';
import { baseManifest, makePkgFolder, rawTar, tarEntries, tempDir, treeListing, type RawEntry } from './test-fixtures.js';

const publisher = generateEd25519();
let work: string;
let env: PkgEnv;
let goodPkg: string;
let goodEntries: RawEntry[];

const bigFile = Buffer.alloc(CHUNK_SIZE * 2 + 1000, 7);

before(async () => {
  work = await tempDir('pkg-reader');
  const app = await makePkgFolder(join(work, 'app'), baseManifest('app'), {
    'main.mjs': 'console.log("hi")\n',
    'public/index.html': '<h1>hi</h1>\n',
    'data.bin': bigFile,
  });
  goodPkg = (await buildPkg(app, { out: join(work, 'good.pkg'), publisherKeyPem: publisher.privateKeyPem })).file;
  goodEntries = await tarEntries(goodPkg);
  env = await openPkgEnv(join(work, 'env'));
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

const snapshot = (dir: string) => treeListing(dir, { sizes: true });

async function installFile(file: string, opts?: ReadPkgOptions) {
  const pkg = await readPkgFile(file, opts);
  return env.install(pkg.meta, pkg.fetchChunk);
}

let n = 0;
async function writePkg(entries: RawEntry[] | Buffer): Promise<string> {
  const file = join(work, `crafted-${++n}.pkg`);
  await writeFile(file, Buffer.isBuffer(entries) ? entries : rawTar(entries));
  return file;
}

/** The pkg must be refused with `code` and a message matching `pattern`, and leave the env untouched. */
async function assertRefused(file: string, code: ErrorCode, pattern: RegExp, opts?: ReadPkgOptions) {
  const beforeEnv = await snapshot(env.root);
  await assert.rejects(installFile(file, opts), (e) => {
    assert.ok(isKrpcError(e, code), `expected ${code}, got ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
  assert.deepEqual(await snapshot(env.root), beforeEnv, 'a refused pkg must leave the env unchanged');
}

const metaOf = (entries: RawEntry[]) => JSON.parse(entries.find((e) => e.path === 'meta.json')!.data!.toString()) as PkgMeta;
const chunkEntries = (entries: RawEntry[]) => entries.filter((e) => e.path.startsWith('chunks/'));

/** Re-signs a modified meta with a fresh key (an attacker who signs their own pkg correctly). */
async function resigned(meta: PkgMeta, chunks = chunkEntries(goodEntries)): Promise<RawEntry[]> {
  const attacker = generateEd25519();
  const m = { ...meta, author_pk: attacker.publicJwk };
  const sig = await signJwt({ meta_id: metaIdOf(m), name: m.name, version: m.version }, attacker.privateKeyPem);
  return [{ path: 'meta.json', data: Buffer.from(canonicalJson(m)) }, { path: 'meta.sig', data: Buffer.from(sig) }, ...chunks];
}

test('a built pkg reads back: signed meta, deduplicated chunks, files in order', async () => {
  const pkg = await readPkgFile(goodPkg);
  assert.equal(pkg.meta.name, 'app');
  assert.deepEqual(pkg.meta.files.map((f) => f.path), ['data.bin', 'main.mjs', 'pkg.json', 'public/index.html']);
  const data = pkg.meta.files[0];
  assert.equal(data.size, bigFile.length);
  assert.equal(data.chunks.length, 3);
  // The two full chunks of identical bytes are one chunk in the file.
  assert.equal(data.chunks[0], data.chunks[1]);
  assert.equal(pkg.chunkReader.chunks.size, 5);
  assert.equal(chunkEntries(goodEntries).length, 5);
  assert.equal(pkg.metaId, metaIdOf(pkg.meta));
  const first = await pkg.chunkReader.read(data.chunks[0]);
  assert.equal(first.length, CHUNK_SIZE);
  assert.equal(sha256Hex(first), data.chunks[0]);
  assert.deepEqual(pkg.meta.author_pk, publisher.publicJwk);
  await assert.rejects(pkg.chunkReader.read('0'.repeat(64)), (e) => isKrpcError(e, 'NOT_FOUND'));
});

test('rebuilding the same folder gives the same meta id', async () => {
  const again = await buildPkg(join(work, 'app'), { out: join(work, 'again.pkg'), publisherKeyPem: publisher.privateKeyPem });
  assert.equal(again.metaId, (await readPkgFile(goodPkg)).metaId);
});

test('a publish can require a trusted publisher key', async () => {
  await readPkgFile(goodPkg, { trustedAuthors: [publisher.publicJwk] });
  await assertRefused(goodPkg, 'PERMISSION_DENIED', /does not trust/, { trustedAuthors: [generateEd25519().publicJwk] });
});

test('tampered chunk bytes are refused', async () => {
  const bytes = await readFile(goodPkg);
  const at = bytes.indexOf(Buffer.from('console.log("hi")'));
  assert.ok(at > 0);
  bytes[at] ^= 1;
  await assertRefused(await writePkg(bytes), 'INTEGRITY', /chunk [0-9a-f]{64} is damaged/);
});

test('a meta changed after signing is refused', async () => {
  const meta = metaOf(goodEntries);
  const entries = goodEntries.map((e) => (e.path === 'meta.json' ? { ...e, data: Buffer.from(canonicalJson({ ...meta, description: 'evil' })) } : e));
  await assertRefused(await writePkg(entries), 'INTEGRITY', /meta was altered after signing/);
});

test('a signature by another key is refused', async () => {
  const meta = metaOf(goodEntries);
  const forged = await signJwt({ meta_id: metaIdOf(meta), name: 'app', version: '1.0.0' }, generateEd25519().privateKeyPem);
  const entries = goodEntries.map((e) => (e.path === 'meta.sig' ? { ...e, data: Buffer.from(forged) } : e));
  await assertRefused(await writePkg(entries), 'INTEGRITY', /does not verify with its author key/);
  await assertRefused(await writePkg(goodEntries.filter((e) => e.path !== 'meta.sig')), 'INVALID_PARAMS', /not signed/);
});

test('tar entries that climb out, are absolute, or are links are refused', async () => {
  const evil = Buffer.from('#!/bin/sh\necho pwned\n');
  await assertRefused(await writePkg([...goodEntries, { path: '../evil', data: evil }]), 'INVALID_PARAMS', /climbs out/);
  await assertRefused(await writePkg([{ path: 'chunks/../../evil', data: evil }, ...goodEntries]), 'INVALID_PARAMS', /climbs out/);
  await assertRefused(await writePkg([...goodEntries, { path: '/tmp/evil', data: evil }]), 'INVALID_PARAMS', /absolute path/);
  await assertRefused(await writePkg([...goodEntries, { path: 'chunks/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }]), 'INVALID_PARAMS', /link to "\/etc\/passwd"/);
  await assertRefused(await writePkg([...goodEntries, { path: 'meta2', type: 'Link', linkpath: 'meta.json' }]), 'INVALID_PARAMS', /link/);
  await assertRefused(await writePkg([{ path: 'chunks/', type: 'Directory' }, ...goodEntries]), 'INVALID_PARAMS', /Directory/);
  await assertRefused(await writePkg([...goodEntries, { path: 'dev', type: 'CharacterDevice' }]), 'INVALID_PARAMS', /CharacterDevice/);
  await assertRefused(await writePkg([...goodEntries, { path: 'install.sh', data: evil }]), 'INVALID_PARAMS', /not part of the pkg format/);
  await assertRefused(await writePkg([...goodEntries, goodEntries[0]]), 'INVALID_PARAMS', /twice/);
});

test('a signed meta whose file list escapes the install dir is refused (zip-slip through the meta)', async () => {
  const meta = metaOf(goodEntries);
  const rename = (path: string) => ({ ...meta, files: meta.files.map((f) => (f.path === 'main.mjs' ? { ...f, path } : f)) });
  await assertRefused(await writePkg(await resigned(rename('../../../tmp/evil.mjs'))), 'INVALID_PARAMS', /climbs out/);
  await assertRefused(await writePkg(await resigned(rename('/tmp/evil.mjs'))), 'INVALID_PARAMS', /absolute/);
  await assertRefused(await writePkg(await resigned(rename('public/index.html'))), 'INVALID_PARAMS', /twice/);
  await assertRefused(await writePkg(await resigned(rename('.pkg.meta.json'))), 'INVALID_PARAMS', /reserved/);
});

test('missing, extra and wrong-sized chunks are refused', async () => {
  const meta = metaOf(goodEntries);
  const chunks = chunkEntries(goodEntries);
  await assertRefused(await writePkg(goodEntries.filter((e) => e !== chunks[0])), 'INTEGRITY', /missing chunk/);
  const stray = Buffer.from('stray');
  await assertRefused(await writePkg([...goodEntries, { path: `chunks/${sha256Hex(stray)}`, data: stray }]), 'INTEGRITY', /does not list/);
  // A signed meta that claims a different size for a real chunk.
  const lying = { ...meta, files: meta.files.map((f) => (f.path === 'main.mjs' ? { ...f, size: f.size + 1 } : f)), size: meta.size + 1 };
  await assertRefused(await writePkg(await resigned(lying)), 'INTEGRITY', /meta expects/);
});

test('oversize pkgs are refused before they are read', async () => {
  await assertRefused(goodPkg, 'PAYLOAD_TOO_LARGE', /content is larger|at most 1000/, { limits: { maxTotalBytes: 1000 } });
  await assertRefused(goodPkg, 'PAYLOAD_TOO_LARGE', /meta\.json is \d+ bytes/, { limits: { maxMetaBytes: 100 } });
  const huge = Buffer.alloc(CHUNK_SIZE + 1, 1);
  await assertRefused(await writePkg([...goodEntries, { path: `chunks/${sha256Hex(huge)}`, data: huge }]), 'PAYLOAD_TOO_LARGE', /chunks are at most/);
  await assertRefused(goodPkg, 'PAYLOAD_TOO_LARGE', /pkg file is \d+ bytes/, { limits: { maxTotalBytes: 10, maxMetaBytes: 10, maxFiles: 1 } });
});

test('files that are not plain pkg tars are refused', async () => {
  await assertRefused(await writePkg(gzipSync(await readFile(goodPkg))), 'INVALID_PARAMS', /uncompressed tar/);
  await assertRefused(await writePkg(Buffer.from('hello')), 'INVALID_PARAMS', /not a pkg file/);
  const full = await readFile(goodPkg);
  await assertRefused(await writePkg(full.subarray(0, 512 * 5 + 100)), 'INVALID_PARAMS', /not a valid tar|missing|no meta/);
  await assertRefused(join(work, 'does-not-exist.pkg'), 'NOT_FOUND', /cannot be read/);
  await assertRefused(await writePkg(goodEntries.filter((e) => e.path !== 'meta.json')), 'INVALID_PARAMS', /no meta\.json/);
  const notJson = goodEntries.map((e) => (e.path === 'meta.json' ? { ...e, data: Buffer.from('{nope') } : e));
  await assertRefused(await writePkg(notJson), 'INVALID_PARAMS', /not valid JSON/);
});

test('build honours .pkgignore and include, packs inside symlinks as files and refuses outside ones', async () => {
  const dir = await makePkgFolder(join(work, 'ign'), baseManifest('ign'), {
    'main.mjs': 'x',
    'debug.log': 'noise',
    'tmp/a.txt': 'temp',
    'keep/a.txt': 'kept',
    'releases/9.9.9/pkg.patch.json': '{}',
    '.git/HEAD': 'ref',
    '.pkgignore': '*.log\ntmp/\n',
  });
  await symlink('keep/a.txt', join(dir, 'alias.txt'));
  await chmod(join(dir, 'main.mjs'), 0o755);
  const built = await buildPkg(dir, { out: join(work, 'ign.pkg'), publisherKeyPem: publisher.privateKeyPem });
  assert.deepEqual(built.meta.files.map((f) => f.path), ['alias.txt', 'keep/a.txt', 'main.mjs', 'pkg.json']);
  assert.equal(built.meta.files.find((f) => f.path === 'main.mjs')!.mode, 0o755);
  assert.equal(built.meta.files.find((f) => f.path === 'alias.txt')!.chunks[0], sha256Hex('kept'));

  await symlink('/etc/hostname', join(dir, 'escape.txt'));
  await assert.rejects(buildPkg(dir, { out: join(work, 'x.pkg'), publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS') && /outside the pkg folder/.test(e.message));
  await rm(join(dir, 'escape.txt'));
  await symlink('../..', join(dir, 'up'));
  await assert.rejects(buildPkg(dir, { out: join(work, 'x.pkg'), publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS') && /outside the pkg folder/.test(e.message));
  await rm(join(dir, 'up'));

  await writeFile(join(dir, 'pkg.json'), JSON.stringify({ ...baseManifest('ign'), include: ['main.mjs', 'keep'] }));
  const only = await buildPkg(dir, { out: join(work, 'ign2.pkg'), publisherKeyPem: publisher.privateKeyPem });
  assert.deepEqual(only.meta.files.map((f) => f.path), ['keep/a.txt', 'main.mjs', 'pkg.json']);
  assert.equal('include' in only.meta, false);
  await assert.rejects(stat(join(work, 'x.pkg')), /ENOENT/);
});

test('build refuses a folder whose start script is missing or manifest is broken', async () => {
  const dir = await makePkgFolder(join(work, 'broken'), { ...baseManifest('broken'), start: { cmd: ['node', 'nope.mjs'] } }, { 'main.mjs': 'x' });
  await assert.rejects(buildPkg(dir, { publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS') && /nope\.mjs/.test(e.message));
  await writeFile(join(dir, 'pkg.json'), '{ not json');
  await assert.rejects(buildPkg(dir, { publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS') && /not valid JSON/.test(e.message));
  await assert.rejects(buildPkg(join(work, 'nothing-here'), { publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'NOT_FOUND'));
});

test('release overlays stack in version order and patch the manifest', async () => {
  const dir = await makePkgFolder(join(work, 'rel'), baseManifest('rel'), {
    'main.mjs': 'v1',
    'lib.mjs': 'lib v1',
    'releases/1.1.0/main.mjs': 'v1.1',
    'releases/1.1.0/pkg.patch.json': JSON.stringify({ description: 'one-one', install: { data_mounts: ['x'] } }),
    'releases/1.2.0/lib.mjs': 'lib v1.2',
    'releases/2.0.0/main.mjs': 'v2',
  });
  const r12 = await buildPkg(dir, { out: join(work, 'rel12.pkg'), release: '1.2.0', publisherKeyPem: publisher.privateKeyPem });
  assert.equal(r12.meta.version, '1.2.0');
  assert.equal(r12.meta.description, 'one-one');
  assert.deepEqual(r12.meta.install, { data_mounts: ['x'], bind: '127.0.0.1' });
  const chunkOf = (path: string) => r12.meta.files.find((f) => f.path === path)!.chunks[0];
  assert.equal(chunkOf('main.mjs'), sha256Hex('v1.1'));
  assert.equal(chunkOf('lib.mjs'), sha256Hex('lib v1.2'));
  assert.equal(r12.meta.files.some((f) => f.path.startsWith('releases')), false);
  await assert.rejects(buildPkg(dir, { release: '1.5.0', publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'NOT_FOUND') && /1\.1\.0, 1\.2\.0, 2\.0\.0/.test(e.message));
  await assert.rejects(buildPkg(dir, { release: '../x', publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  await mkdir(join(dir, 'releases/3.0.0'));
  await writeFile(join(dir, 'releases/3.0.0/pkg.patch.json'), JSON.stringify({ version: '9.9.9' }));
  await assert.rejects(buildPkg(dir, { release: '3.0.0', publisherKeyPem: publisher.privateKeyPem }), (e) => isKrpcError(e, 'INVALID_PARAMS') && /says version 9\.9\.9/.test(e.message));
});

test('the publisher key is created once with mode 0600, even when two builds race', async () => {
  const path = join(work, 'home', '.buckyos', 'publisher_key.pem');
  const [a, b] = await Promise.all([loadPublisherKey(path), loadPublisherKey(path)]);
  assert.equal(a, b);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(await loadPublisherKey(path), a);
  assert.deepEqual((await readdir(join(work, 'home', '.buckyos'))).sort(), ['publisher_key.pem']);
  await writeFile(path, 'garbage');
  await assert.rejects(loadPublisherKey(path), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});
