// bench/repo: the zone repo with a generated pkg of --mib MiB of incompressible content (the repo part of
// the pkg benchmarks). Times: publish (upload + signature and hash checks + chunk import with fsync), a
// 1.1.0 that changes 10 % of the chunks (dedup), a node install through the repo pkg source and its
// upgrade, a second repo preparing both versions from a folder source, and GC. Server and clients share
// this one process (and the machine's cores), as on a desktop OOD.
// Run: node --import tsx bench/repo.ts [--mib 64]
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPkg } from '../kernel/pkg/build.js';
import { CHUNK_SIZE } from '../kernel/pkg/format.js';
import { openPkgEnv } from '../kernel/pkg/env.js';
import { baseManifest, makePkgFolder, tempDir } from '../kernel/pkg/test-fixtures.js';
import { generateEd25519 } from '../kernel/lib/identity/keys.js';
import { RepoClient } from '../kernel/repo-server/client.js';
import { repoPkgSource } from '../kernel/node-daemon/repo-pkg-source.js';
import { publishPkg } from '../kernel/repo-server/publish.js';
import { randomLoopback, startTestRepo, testAuth } from '../kernel/repo-server/test-fixtures.js';
import { mib } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const MIB = numberArg('mib', 64);
const bytes = MIB * 1024 * 1024;
const rate = (n: number, ms: number) => `${((n / 1024 / 1024) / (ms / 1000)).toFixed(0)} MiB/s`;

async function timed<T>(what: string, n: number, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  console.log(`${what.padEnd(44)} ${ms.toFixed(0).padStart(6)} ms  ${n > 0 ? rate(n, ms) : ''}`);
  return result;
}

const work = await tempDir('bench-repo');
const host = randomLoopback();
const auth = await testAuth();
const key = generateEd25519().privateKeyPem;
const servers: { stop(): Promise<void> }[] = [];
try {
  const v1 = randomBytes(bytes);
  const v2 = Buffer.from(v1);
  for (let off = 0; off < bytes; off += 10 * CHUNK_SIZE) randomBytes(CHUNK_SIZE).copy(v2, off);
  const dir1 = await makePkgFolder(join(work, 'src1'), baseManifest('bigapp', '1.0.0'), { 'main.mjs': 'x', 'blob.bin': v1 });
  const dir2 = await makePkgFolder(join(work, 'src2'), baseManifest('bigapp', '1.1.0'), { 'main.mjs': 'x', 'blob.bin': v2 });
  const pkg1 = await timed(`build ${mib(bytes)} pkg`, bytes, () => buildPkg(dir1, { out: join(work, 'bigapp-1.0.0.pkg'), publisherKeyPem: key }));
  const pkg2 = await buildPkg(dir2, { out: join(work, 'bigapp-1.1.0.pkg'), publisherKeyPem: key });

  const repo = await startTestRepo(auth, join(work, 'repo'), host);
  servers.push(repo);
  const token = await auth.token('alice');
  const first = await timed('publish 1.0.0 (upload, verify, import)', bytes, () => publishPkg({ file: pkg1.file, zone: repo.url, sessionToken: token }));
  const second = await timed('publish 1.1.0 (10 % of chunks changed)', bytes, () => publishPkg({ file: pkg2.file, zone: repo.url, sessionToken: token }));
  console.log(`  stored ${first.new_chunks} + ${second.new_chunks} new chunks (${second.reused_chunks} reused)`);

  const env = await openPkgEnv(join(work, 'node-env'));
  const source = repoPkgSource({ repoUrl: repo.url, token: await auth.token('n1', { kind: 'device' }), env });
  await timed('node install 1.0.0 through the repo source', bytes, () => source.ensureInstalled('bigapp#1.0.0'));
  await timed('node upgrade to 1.1.0 (only changed chunks)', 0, () => source.ensureInstalled('bigapp#1.1.0'));

  const stick = join(work, 'stick');
  await mkdir(stick);
  await copyFile(pkg1.file, join(stick, '1.pkg'));
  await copyFile(pkg2.file, join(stick, '2.pkg'));
  const mirror = await startTestRepo(auth, join(work, 'mirror'), host);
  servers.push(mirror);
  const mirrorClient = new RepoClient(mirror.url, token);
  await mirrorClient.setSources([{ type: 'dir', path: stick }]);
  await timed('sync index from a folder of 2 pkgs (verifies)', 2 * bytes, () => mirrorClient.sync());
  await timed('prepare_ready 1.0.0 from the folder', bytes, () => mirrorClient.prepareReady('bigapp#1.0.0'));
  await timed('prepare_ready 1.1.0 from the folder', 0, () => mirrorClient.prepareReady('bigapp#1.1.0'));

  const gc = await timed('gc keeping only 1.1.0', 0, () => new RepoClient(repo.url, token).gc({ bigapp: ['1.1.0'] }));
  console.log(`  freed ${mib(gc.freed_bytes)} in ${gc.removed_chunks} chunks`);
} finally {
  for (const s of servers) await s.stop();
  await rm(work, { recursive: true, force: true });
}
