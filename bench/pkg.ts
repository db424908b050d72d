// bench/pkg (issue 4): a ~100 MiB pkg from the zone repo to a node. Each trial starts a real repo-server
// on a random loopback address, publishes 1.0.0 through its HTTP upload route and installs it into a fresh
// node pkg-env through repoPkgSource (what node-daemon runs: HTTP chunk downloads, hash checks, staging +
// atomic switch). The peer is a raw copy of the same files on the same disk (copyFile + fsync per file).
// Then upgrades that change a known number of bytes, reporting the bytes the repo's connections
// carried against the bytes changed (target ≤ 1.1×). Server and node share this process and its cores.
// Run: node --import tsx bench/pkg.ts [--mib 100] [--trials 3]
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { copyFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { buildPkg, type BuildResult } from '../kernel/pkg/build.js';
import { CHUNK_SIZE, uniqueChunks, type PkgMeta } from '../kernel/pkg/format.js';
import { openPkgEnv, type PkgEnv } from '../kernel/pkg/env.js';
import { baseManifest, makePkgFolder, tempDir } from '../kernel/pkg/test-fixtures.js';
import { fsyncDir } from '../kernel/lib/fs-atomic.js';
import { generateEd25519 } from '../kernel/lib/identity/keys.js';
import { repoPkgSource } from '../kernel/node-daemon/repo-pkg-source.js';
import { publishPkg } from '../kernel/repo-server/publish.js';
import { startTestRepo, testAuth } from '../kernel/repo-server/test-fixtures.js';
import { numberArg } from './lib/args.js';
import { randomLoopback } from '../kernel/testing/harness.js';
import { loadAverage, percentile } from './lib/zone-process.js';

const MIB = numberArg('mib', 100);
const TRIALS = numberArg('trials', 3);
const NAME = 'bigapp';
const PART = 8 * 1024 * 1024;
const PARTS = Math.max(2, Math.floor((MIB - 4) / 8));
// log.bin ends this far before a chunk boundary, so appending to it also re-sends its old last chunk.
const LOG_SHORT = 100 * 1024;
const APPEND = 1024 * 1024;
const EDITS = 16;
const EDIT = 4096;
const INSERT = 4096;

type Files = Record<string, Buffer>;

interface Release {
  version: string;
  change: string;
  /** Bytes that differ from the release before. */
  changed: number;
  files: Files;
  dir: string;
  pkg: BuildResult;
}

interface Sample {
  ms: number;
  /** Bytes on the repo's connections: repo → node (or publisher) and back. */
  down: number;
  up: number;
  /** Bytes this process wrote to files (/proc/self/io write_bytes). */
  disk: number;
}

const partPath = (i: number) => `data/part-${String(i).padStart(2, '0')}.bin`;
const median = (xs: number[]) => percentile(xs, 50);
const contentBytes = (files: Files) => Object.values(files).reduce((n, b) => n + b.length, 0);

function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

const rate = (bytes: number, ms: number) => `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`;

/** Counts what the repo's connections carry, closed ones included, without a proxy in the path. */
function wireMeter(host: string) {
  const sockets: Socket[] = [];
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    if (socket.localAddress === host) sockets.push(socket);
  };
  subscribe('net.server.socket', onSocket);
  return {
    bytes: () => sockets.reduce((t, s) => ({ down: t.down + s.bytesWritten, up: t.up + s.bytesRead }), { down: 0, up: 0 }),
    close: () => unsubscribe('net.server.socket', onSocket),
  };
}

async function fileWriteBytes(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8');
  return Number(/^write_bytes: (\d+)$/m.exec(io)?.[1] ?? NaN);
}

/** Chunk bytes a node holding `from` must fetch for `to`. */
function missingChunkBytes(to: PkgMeta, from: PkgMeta): number {
  const held = uniqueChunks(from);
  let n = 0;
  for (const [sha, length] of uniqueChunks(to)) if (!held.has(sha)) n += length;
  return n;
}

/** The peer: the same files copied on the same disk, each fsynced, then their directories. */
async function rawCopy(from: string, paths: string[], to: string): Promise<void> {
  const dirs = new Set<string>();
  for (const p of paths) {
    const dst = join(to, p);
    if (!dirs.has(dirname(dst))) {
      await mkdir(dirname(dst), { recursive: true });
      dirs.add(dirname(dst));
    }
    await copyFile(join(from, p), dst);
    const fh = await open(dst, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  for (const d of dirs) await fsyncDir(d);
}

/** Outside the timing: the node runs `release` and every installed byte is the source's. */
async function checkInstalled(env: PkgEnv, release: Release): Promise<void> {
  const current = await env.current(NAME);
  if (current !== release.version) throw new Error(`the node runs ${NAME}#${current}, not ${release.version}`);
  for (const [path, bytes] of Object.entries(release.files)) {
    if (!(await readFile(join(env.dir(NAME, release.version), path))).equals(bytes)) throw new Error(`${path} of ${release.version} differs from its source`);
  }
}

const work = await tempDir('bench-pkg');
const host = randomLoopback();
const wire = wireMeter(host);
const auth = await testAuth();
const key = generateEd25519().privateKeyPem;
try {
  const loadBefore = await loadAverage();
  const release = async (version: string, change: string, changed: number, files: Files): Promise<Release> => {
    const dir = await makePkgFolder(join(work, `src-${version}`), baseManifest(NAME, version), files);
    const pkg = await buildPkg(dir, { out: join(work, `${NAME}-${version}.pkg`), publisherKeyPem: key });
    return { version, change, changed, files, dir, pkg };
  };

  const base: Files = { 'main.mjs': Buffer.from('console.log("bigapp")\n') };
  for (let i = 0; i < PARTS; i++) base[partPath(i)] = randomBytes(PART);
  base['data/log.bin'] = randomBytes(4 * 1024 * 1024 - LOG_SHORT);
  const v1 = await release('1.0.0', 'fresh install', contentBytes(base), base);

  const rewritten = partPath(Math.floor(PARTS / 2));
  const v2 = await release('1.1.0', `${rewritten} rewritten (8 MiB) + 1 MiB appended to data/log.bin`, PART + APPEND, {
    ...base,
    [rewritten]: randomBytes(PART),
    'data/log.bin': Buffer.concat([base['data/log.bin'], randomBytes(APPEND)]),
  });

  // 16 random 4 KiB overwrites, each inside a different chunk: the worst case for fixed-size chunks.
  const edited: Files = { ...v2.files };
  for (let i = 0; i < EDITS; i++) {
    const path = partPath(i % PARTS);
    if (edited[path] === v2.files[path]) edited[path] = Buffer.from(v2.files[path]);
    randomBytes(EDIT).copy(edited[path], ((7 * i) % (PART / CHUNK_SIZE)) * CHUNK_SIZE + 1000);
  }
  const v3 = await release('1.2.0', `${EDITS} in-place 4 KiB edits spread over ${Math.min(EDITS, PARTS)} files`, EDITS * EDIT, edited);

  // Bytes inserted near the start shift the rest of the file across every later chunk boundary.
  const shifted = v3.files[partPath(0)];
  const v4 = await release('1.3.0', `4 KiB inserted 1000 bytes into ${partPath(0)}`, INSERT, {
    ...v3.files,
    [partPath(0)]: Buffer.concat([shifted.subarray(0, 1000), randomBytes(INSERT), shifted.subarray(1000)]),
  });
  const releases = [v1, v2, v3, v4];

  const content = contentBytes(v1.files);
  console.log(`pkg ${NAME}: ${size(content)} of random bytes in ${Object.keys(v1.files).length} files, ${v1.pkg.chunks} chunks of ${CHUNK_SIZE / 1024} KiB`);
  console.log(`repo on ${host}, ${TRIALS} trials, load average ${loadBefore}\n`);

  const raw: Sample[] = [];
  const install: Sample[] = [];
  const publish: Sample[][] = releases.map(() => []);
  // upgrades[i]: from releases[i] to releases[i + 1]
  const upgrades: Sample[][] = releases.slice(1).map(() => []);
  for (let t = 0; t < TRIALS; t++) {
    const dir = join(work, `trial-${t}`);
    const repo = await startTestRepo(auth, join(dir, 'repo'), host);
    try {
      const measure = async (fn: () => Promise<unknown>): Promise<Sample> => {
        const w0 = wire.bytes();
        const d0 = await fileWriteBytes();
        const t0 = performance.now();
        await fn();
        const ms = performance.now() - t0;
        const w1 = wire.bytes();
        return { ms, down: w1.down - w0.down, up: w1.up - w0.up, disk: (await fileWriteBytes()) - d0 };
      };
      const token = await auth.token('alice');
      const env = await openPkgEnv(join(dir, 'node'));
      const source = repoPkgSource({ repoUrl: repo.url, token: await auth.token('n1', { kind: 'device' }), env });
      const publishStep = (r: Release) => measure(() => publishPkg({ file: r.pkg.file, zone: repo.url, sessionToken: token }));

      publish[0].push(await publishStep(v1));
      const copyStep = () => measure(() => rawCopy(v1.dir, Object.keys(v1.files), join(dir, 'raw')));
      const installStep = () => measure(() => source.ensureInstalled(`${NAME}#1.0.0`));
      // Alternate which goes first, so neither always runs while the other's writes are still settling.
      if (t % 2 === 0) {
        raw.push(await copyStep());
        install.push(await installStep());
      } else {
        install.push(await installStep());
        raw.push(await copyStep());
      }
      await checkInstalled(env, v1);

      for (const [i, r] of releases.slice(1).entries()) {
        publish[i + 1].push(await publishStep(r));
        upgrades[i].push(await measure(() => source.ensureInstalled(`${NAME}#${r.version}`)));
        await checkInstalled(env, r);
      }
      const last = (xs: Sample[]) => `${xs[xs.length - 1].ms.toFixed(0)} ms`;
      const upgraded = releases.slice(1).map((r, i) => `upgrade ${r.version} ${last(upgrades[i])}`);
      console.log(`trial ${t + 1}: raw copy ${last(raw)}, install ${last(install)}, ${upgraded.join(', ')}`);
    } finally {
      await repo.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  const ms = (xs: Sample[]) => median(xs.map((s) => s.ms));
  const trials = (xs: Sample[]) => xs.map((s) => s.ms.toFixed(0)).join(' / ');
  const onWire = (xs: Sample[]) => median(xs.map((s) => s.down + s.up));
  const disk = (xs: Sample[]) => size(median(xs.map((s) => s.disk)));
  const ratios = install.map((s, i) => s.ms / raw[i].ms);

  console.log(`\nInstall of ${size(content)} (medians of ${TRIALS}; file writes = /proc/self/io write_bytes of this process)\n`);
  console.log('| step | time | trials ms | throughput | on the wire | file writes |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: |');
  console.log(`| raw copy (copyFile + fsync per file) | ${ms(raw).toFixed(0)} ms | ${trials(raw)} | ${rate(content, ms(raw))} | — | ${disk(raw)} |`);
  console.log(`| install 1.0.0 through the repo | ${ms(install).toFixed(0)} ms | ${trials(install)} | ${rate(content, ms(install))} | ${size(onWire(install))} | ${disk(install)} |`);
  for (const [i, r] of releases.entries()) {
    console.log(`| publish ${r.version} (upload, verify, import) | ${ms(publish[i]).toFixed(0)} ms | ${trials(publish[i])} | ${rate(r.pkg.meta.size, ms(publish[i]))} | ${size(onWire(publish[i]))} | ${disk(publish[i])} |`);
  }
  console.log(`\ninstall time / raw copy time: ${median(ratios).toFixed(2)}× (median of paired trials: ${ratios.map((x) => x.toFixed(2)).join(' / ')})`);

  console.log('\nUpgrades (target: on the wire ≤ 1.1× changed)\n');
  console.log('| upgrade | change | changed | chunks to fetch | on the wire | wire / changed | time | trials ms | file writes |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const [i, xs] of upgrades.entries()) {
    const [from, to] = [releases[i], releases[i + 1]];
    console.log(`| ${from.version} → ${to.version} | ${to.change} | ${size(to.changed)} | ${size(missingChunkBytes(to.pkg.meta, from.pkg.meta))} | ${size(onWire(xs))} | **${(onWire(xs) / to.changed).toFixed(2)}×** | ${ms(xs).toFixed(0)} ms | ${trials(xs)} | ${disk(xs)} |`);
  }
  console.log(`\nload average at the end: ${await loadAverage()}`);
} finally {
  wire.close();
  await rm(work, { recursive: true, force: true });
}
