import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, stat, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { buildPkg } from '../pkg/build.js';
import { openPkgEnv } from '../pkg/env.js';
import { readPkgFile } from '../pkg/reader.js';
import { firstFoundPkgSource, localDirPkgSource, pkgEnvSource } from './pkg-source.js';
import { repoPkgSource } from './repo-pkg-source.js';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const work = await mkdtemp(join(tmpdir(), 'nd-pkg-'));
after(() => rm(work, { recursive: true, force: true }));

test('local dir source: a matching version resolves to the folder and its manifest', async () => {
  const src = localDirPkgSource(fixtures);
  for (const id of ['echo-app', 'echo-app#1.0.0', 'echo-app#^1.0', 'echo-app#*']) {
    const pkg = await src.ensureInstalled(id);
    assert.equal(pkg.dir, join(fixtures, 'echo-app'));
    assert.deepEqual(pkg.manifest.start.cmd, ['node', 'server.mjs']);
    assert.equal(pkg.manifest.health.path, '/health');
  }
});

test('local dir source: wrong version, unknown name and path tricks are refused', async () => {
  const src = localDirPkgSource(fixtures);
  await assert.rejects(src.ensureInstalled('echo-app#2.0.0'), (e) => isKrpcError(e, 'NOT_FOUND') && /has 1\.0\.0/.test(e.message));
  await assert.rejects(src.ensureInstalled('nope'), (e) => isKrpcError(e, 'NOT_FOUND'));
  for (const id of ['../etc', '..', 'echo-app/../x', '']) await assert.rejects(src.ensureInstalled(id), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('local dir source: a folder whose manifest names another package is an integrity error', async () => {
  await cp(join(fixtures, 'echo-app'), join(work, 'dirs', 'other-app'), { recursive: true });
  await assert.rejects(localDirPkgSource(join(work, 'dirs')).ensureInstalled('other-app'), (e) => isKrpcError(e, 'INTEGRITY'));
});

test('pkg-env source: runs what the pkg-env has installed, current version first', async () => {
  const src = join(work, 'src');
  await cp(join(fixtures, 'echo-app'), src, { recursive: true });
  const publisher = generateEd25519();
  const build = async (version: string) => {
    const manifest = JSON.parse(await readFile(join(src, 'pkg.json'), 'utf8'));
    await writeFile(join(src, 'pkg.json'), JSON.stringify({ ...manifest, version }));
    return readPkgFile((await buildPkg(src, { out: join(work, `echo-${version}.pkg`), publisherKeyPem: publisher.privateKeyPem })).file);
  };
  const env = await openPkgEnv(join(work, 'env'));
  const v1 = await build('1.0.0');
  const v2 = await build('1.2.0');
  await env.install(v1.meta, v1.fetchChunk);
  await env.install(v2.meta, v2.fetchChunk);
  await env.activate('echo-app', '1.0.0');

  const source = pkgEnvSource(env);
  const current = await source.ensureInstalled('echo-app#^1');
  assert.equal(current.manifest.version, '1.0.0');
  assert.ok((await stat(join(current.dir, 'server.mjs'))).isFile());
  assert.equal((await source.ensureInstalled('echo-app#>=1.1')).manifest.version, '1.2.0');
  await assert.rejects(source.ensureInstalled('echo-app#2.0.0'), (e) => isKrpcError(e, 'NOT_FOUND') && /install it first/.test(e.message));
  await assert.rejects(source.ensureInstalled('other-app'), (e) => isKrpcError(e, 'NOT_FOUND'));
});

test('repo source with the zone repo out of reach (OOD down): the active version still starts if it is what the id asks for; a source out of reach does not hide the next one', async () => {
  const src = join(work, 'src-offline');
  await cp(join(fixtures, 'echo-app'), src, { recursive: true });
  const built = await readPkgFile((await buildPkg(src, { out: join(work, 'echo-offline.pkg'), publisherKeyPem: generateEd25519().privateKeyPem })).file);
  const env = await openPkgEnv(join(work, 'env-offline'));
  await env.install(built.meta, built.fetchChunk);
  await env.activate('echo-app', '1.0.0');
  // Nothing listens there: every repo call fails with UNAVAILABLE.
  const closed = await new Promise<number>((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as AddressInfo; s.close(() => r(port)); }); });
  const repo = repoPkgSource({ repoUrl: `http://127.0.0.1:${closed}`, token: () => 'unused', env });
  const pkg = await repo.ensureInstalled('echo-app#^1.0.0');
  assert.equal(pkg.dir, env.dir('echo-app', '1.0.0'));
  assert.equal(pkg.manifest.version, '1.0.0');
  await assert.rejects(repo.ensureInstalled('echo-app#2.0.0'), (e) => isKrpcError(e, 'UNAVAILABLE'), 'a version not installed waits for the repo');
  await assert.rejects(repo.ensureInstalled('other-app'), (e) => isKrpcError(e, 'UNAVAILABLE'));
  const devDir = join(work, 'dev-offline');
  await cp(src, join(devDir, 'echo-app'), { recursive: true });
  await writeFile(join(devDir, 'echo-app', 'pkg.json'), JSON.stringify({ ...JSON.parse(await readFile(join(src, 'pkg.json'), 'utf8')), version: '3.0.0' }));
  const chain = firstFoundPkgSource(repo, localDirPkgSource(devDir));
  assert.equal((await chain.ensureInstalled('echo-app#3.0.0')).dir, join(devDir, 'echo-app'));
  await assert.rejects(chain.ensureInstalled('nope'), (e) => isKrpcError(e, 'UNAVAILABLE'), 'the repo being out of reach is the reason, not NOT_FOUND');
});
