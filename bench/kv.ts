// bench/kv: the durable KV store, four ways. The build machine is shared and its disk is noisy, so
// every comparison runs as short interleaved trials (sizes, or ours/etcd, alternating) and reports
// the median; --duration is the total per row, split into --trials trials.
//  (a) store level: cost of a durable write (transact → fsynced) at concurrency 1 and N with 1k, 10k
//      and 100k keys preloaded; target: flat (100k costs ≤ 1.5× of 1k).
//  (b) through kRPC: durable writes/s (sys_config_set) and reads/s (sys_config_get) against the real
//      system-config service on a LogStore, in its own process;
//  (c) the same load against etcd (Debian etcd-server, single member, default fsync) through its v3
//      HTTP/JSON gateway (/v3/kv/put, /v3/kv/range), same client (autocannon), same concurrency;
//      target: our writes/s ≥ 1.0× etcd's.
//  (d) more kill -9 rounds of the crash test than CI runs.
// Run: node --import tsx bench/kv.ts [--duration 5] [--trials 5] [--concurrency 32] [--sizes 1000,10000,100000]
//        [--value-bytes 100] [--krpc-keys 10000] [--crash-rounds 100] [--no-etcd]
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLogStore, type LogStore } from '../kernel/system-config/store/log-store.js';
import { silentLogger, type Logger } from '../kernel/lib/log.js';
import { benchKey, benchValue, preload } from './lib/kv-data.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { ensureEtcdInstalled, startEtcd } from './lib/etcd.js';
import { randomLoopback } from '../kernel/testing/harness.js';
import { numberArg, stringArg } from './lib/args.js';

const DURATION = numberArg('duration', 5);
const CONCURRENCY = numberArg('concurrency', 32);
const SIZES = stringArg('sizes', '1000,10000,100000').split(',').map(Number);
const VALUE_BYTES = numberArg('value-bytes', 100);
const KRPC_KEYS = numberArg('krpc-keys', 10000);
const CRASH_ROUNDS = numberArg('crash-rounds', 100);
const TRIALS = numberArg('trials', 5);
const WITH_ETCD = !process.argv.includes('--no-etcd');

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const randomKey = (keys: number) => benchKey(Math.floor(Math.random() * keys));

interface StoreRun { keys: number; concurrency: number; trialsUs: number[]; usPerWrite: number; perSecond: number; p99ms: number; compactions: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function countingLogger(onCompaction: () => void): Logger {
  const logger: Logger = {
    ...silentLogger,
    debug: (msg) => { if (msg === 'KV compaction done') onCompaction(); },
    child: () => logger,
  };
  return logger;
}

interface BenchStore { keys: number; store: LogStore; dir: string; compactions: number }

async function preparedStore(keys: number): Promise<BenchStore> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-kv-'));
  // Preload, then compact once (tiny threshold) so runs start from a steady state: a snapshot of
  // the whole store and a short log, as a long-running node has.
  const loading = await openLogStore(dir, { compactAfterBytes: 1 });
  await preload(loading, keys, VALUE_BYTES);
  await loading.transact(() => [{ key: benchKey(0), value: benchValue(0, VALUE_BYTES) }]);
  await loading.close();
  const prepared: BenchStore = { keys, dir, compactions: 0, store: undefined as unknown as LogStore };
  prepared.store = await openLogStore(dir, { log: countingLogger(() => prepared.compactions++) });
  return prepared;
}

let seq = 0;
/** Durable writes of random existing keys from `concurrency` writers for `ms`; per-write latencies in ms. */
async function driveWrites(b: BenchStore, concurrency: number, ms: number): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  const until = Date.now() + ms;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < until) {
      const t0 = process.hrtime.bigint();
      await b.store.transact(() => [{ key: randomKey(b.keys), value: benchValue(++seq, VALUE_BYTES) }]);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  return { latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

/** Reference: one O_DSYNC append of a record-sized buffer at a time to a growing file, no store. */
async function diskFloorUs(ms: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-kv-floor-'));
  const fh = await open(join(dir, 'floor'), fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_APPEND | fsConstants.O_DSYNC);
  const record = Buffer.alloc(VALUE_BYTES + 40, 'x');
  let n = 0;
  const started = process.hrtime.bigint();
  for (const until = Date.now() + ms; Date.now() < until; n++) await fh.write(record, 0, record.length);
  const us = Number(process.hrtime.bigint() - started) / 1e3 / n;
  await fh.close();
  await rm(dir, { recursive: true, force: true });
  return us;
}

/**
 * Trials interleaved across sizes (1k, 10k, 100k, 1k, …): the disk of a shared machine is noisy, and
 * interleaving spreads that noise over every size instead of letting it land on one. Reported: the
 * median trial.
 */
async function storeLevel(): Promise<{ runs: StoreRun[]; floorUs: number[] }> {
  const stores: BenchStore[] = [];
  for (const keys of SIZES) stores.push(await preparedStore(keys));
  const runs: StoreRun[] = [];
  const all = new Map<StoreRun, number[]>();
  for (const b of stores) for (const concurrency of [1, CONCURRENCY]) {
    const run: StoreRun = { keys: b.keys, concurrency, trialsUs: [], usPerWrite: 0, perSecond: 0, p99ms: 0, compactions: 0 };
    runs.push(run);
    all.set(run, []);
    await driveWrites(b, concurrency, 300);
  }
  const floorUs: number[] = [];
  const trialMs = (DURATION * 1000) / TRIALS;
  for (let trial = 0; trial < TRIALS; trial++) {
    floorUs.push(await diskFloorUs(trialMs / 2));
    for (const b of stores) {
      for (const run of runs.filter((r) => r.keys === b.keys)) {
        const before = b.compactions;
        const { latencies, seconds } = await driveWrites(b, run.concurrency, trialMs);
        run.trialsUs.push((seconds * 1e6) / latencies.length);
        run.compactions += b.compactions - before;
        // push(...latencies) overflows the stack when a fast disk gives a trial millions of writes.
        for (const l of latencies) all.get(run)!.push(l);
      }
    }
  }
  for (const run of runs) {
    const latencies = all.get(run)!.sort((a, b) => a - b);
    run.usPerWrite = median(run.trialsUs);
    run.perSecond = 1e6 / run.usPerWrite;
    run.p99ms = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  }
  for (const b of stores) {
    await b.store.close();
    await rm(b.dir, { recursive: true, force: true });
  }
  return { runs, floorUs };
}

type Kind = 'write' | 'read';

interface Target {
  name: string;
  url(kind: Kind): string;
  body(kind: Kind, seq: number): string;
  ok(kind: Kind, status: number, body: string): boolean;
}

interface Running { target: Target; stop(): Promise<void> }

async function startOurs(host: string): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-kv-krpc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'lib/kv-server.ts'), host, dir, String(KRPC_KEYS), String(VALUE_BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', () => reject(new Error('the system-config bench server exited before listening')));
    });
    const { url, token } = JSON.parse(first) as { url: string; token: string };
    return {
      stop,
      target: {
        name: 'system-config',
        url: () => url,
        body: (kind, seq) => JSON.stringify(kind === 'write'
          ? { method: 'sys_config_set', params: { key: randomKey(KRPC_KEYS), value: benchValue(seq, VALUE_BYTES) }, sys: [seq, token] }
          : { method: 'sys_config_get', params: { key: randomKey(KRPC_KEYS) }, sys: [seq, token] }),
        ok: (kind, status, body) => status === 200 && body.startsWith(kind === 'write' ? '{"result":null' : '{"result":{"value"'),
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function startEtcdTarget(host: string): Promise<Running & { version: string }> {
  const server = await startEtcd(host);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  try {
    let next = 0;
    const loaded = await runLoad({
      url: `${server.url}/v3/kv/put`, connections: CONCURRENCY, amount: KRPC_KEYS,
      body: () => JSON.stringify({ key: b64(benchKey(next++)), value: b64(benchValue(0, VALUE_BYTES)) }), ok: (s) => s === 200,
    });
    if (loaded.failures > 0) throw new Error(`etcd preload failed: ${loaded.firstFailure}`);
  } catch (e) {
    await server.stop();
    throw e;
  }
  return {
    version: server.version,
    stop: server.stop,
    target: {
      name: 'etcd',
      url: (kind) => `${server.url}/v3/kv/${kind === 'write' ? 'put' : 'range'}`,
      body: (kind, seq) => JSON.stringify(kind === 'write'
        ? { key: b64(randomKey(KRPC_KEYS)), value: b64(benchValue(seq, VALUE_BYTES)) }
        : { key: b64(randomKey(KRPC_KEYS)) }),
      ok: (kind, status, body) => status === 200 && (kind === 'write' || body.includes('"kvs"')),
    },
  };
}

const LOADS: Array<{ name: string; kind: Kind; connections: number }> = [
  { name: 'writes c1', kind: 'write', connections: 1 },
  { name: `writes c${CONCURRENCY}`, kind: 'write', connections: CONCURRENCY },
  { name: `reads c${CONCURRENCY}`, kind: 'read', connections: CONCURRENCY },
];

/**
 * Every load against every target in TRIALS short trials, the targets alternating within a trial
 * (both servers stay up; only one is loaded at a time), so the noise of a shared machine hits both
 * alike. Returns, per load and target, each trial's result.
 */
async function compareLoads(targets: Target[]): Promise<Map<string, LoadResult[]>> {
  const run = async (target: Target, kind: Kind, connections: number, durationSec: number) => {
    const r = await runLoad({ url: target.url(kind), connections, durationSec, body: () => target.body(kind, ++seq), ok: (st, b) => target.ok(kind, st, b) });
    if (r.failures > 0) throw new Error(`${target.name} ${kind}s: ${r.failures} failed requests, first: ${r.firstFailure}`);
    return r;
  };
  // Warm-up of both paths (JIT, connections, caches); without it a first run is up to 40% slower.
  for (const target of targets) for (const kind of ['write', 'read'] as const) await run(target, kind, CONCURRENCY, 2);
  const results = new Map<string, LoadResult[]>();
  for (let trial = 0; trial < TRIALS; trial++) {
    for (const load of LOADS) {
      const order = trial % 2 === 0 ? targets : [...targets].reverse();
      for (const target of order) {
        const key = `${load.name}|${target.name}`;
        results.set(key, [...(results.get(key) ?? []), await run(target, load.kind, load.connections, DURATION / TRIALS)]);
      }
    }
  }
  return results;
}

function crashRounds(rounds: number): string {
  const started = Date.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', join(import.meta.dirname, '../kernel/system-config/store/crash.integration.test.ts')], {
    encoding: 'utf8', env: { ...process.env, CRASH_ROUNDS: String(rounds) },
  });
  const summary = /# (\d+ acknowledged writes.*)/.exec(res.stdout)?.[1] ?? '';
  return `${res.status === 0 ? 'PASS' : 'FAIL'} in ${fmt((Date.now() - started) / 1000, 1)} s: ${summary}${res.status === 0 ? '' : `\n${res.stdout.slice(-3000)}`}`;
}

console.log(`# bench/kv — ${new Date().toISOString()}`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, tmp dir ${tmpdir()}`);
console.log(`settings: ${DURATION} s per run, concurrency ${CONCURRENCY}, values of ${VALUE_BYTES} bytes; load average ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`);

console.log(`\n## (a) store level: durable write cost (transact resolved = on disk), ${TRIALS} interleaved trials per row, median`);
const { runs: storeRuns, floorUs } = await storeLevel();
console.log(`reference, no store: one ${VALUE_BYTES + 40}-byte O_DSYNC append at a time to a growing file: median ${fmt(median(floorUs), 1)} µs, trials ${floorUs.map((u) => fmt(u)).join(' / ')}`);
console.log('| keys | concurrency | writes/s | µs per write (median) | trials µs | p99 latency ms | compactions |');
console.log('|---:|---:|---:|---:|---|---:|---:|');
for (const r of storeRuns)
  console.log(`| ${fmt(r.keys)} | ${r.concurrency} | ${fmt(r.perSecond)} | ${fmt(r.usPerWrite, 1)} | ${r.trialsUs.map((u) => fmt(u)).join(' / ')} | ${fmt(r.p99ms, 2)} | ${r.compactions} |`);
for (const concurrency of [1, CONCURRENCY]) {
  const small = storeRuns.find((r) => r.keys === SIZES[0] && r.concurrency === concurrency)!;
  const large = storeRuns.find((r) => r.keys === SIZES.at(-1) && r.concurrency === concurrency)!;
  const ratio = large.usPerWrite / small.usPerWrite;
  console.log(`cost at ${fmt(large.keys)} vs ${fmt(small.keys)} keys, concurrency ${concurrency}: ${fmt(ratio, 2)}× (target ≤ 1.5×) ${ratio <= 1.5 ? 'OK' : 'MISSED'}`);
}

const host = randomLoopback();
console.log(`\n## (b) through kRPC vs (c) etcd — ${fmt(KRPC_KEYS)} keys preloaded, loopback ${host}, client: autocannon, ${TRIALS} alternating trials per row, median`);
const running: Array<Running & { version?: string }> = [await startOurs(host)];
try {
  if (WITH_ETCD) {
    console.log(ensureEtcdInstalled());
    const etcdServer = await startEtcdTarget(host);
    running.push(etcdServer);
    console.log(`etcd: ${etcdServer.version}, single member, default fsync, v3 JSON gateway, linearizable reads (the default)`);
  }
  const results = await compareLoads(running.map((r) => r.target));
  const rate = (load: string, target: string) => results.get(`${load}|${target}`)?.map((r) => r.perSecond);
  // Mean latency by Little's law (connections / throughput); autocannon's percentiles have 1 ms resolution.
  const cell = (load: (typeof LOADS)[number], target: string) => {
    const rs = results.get(`${load.name}|${target}`);
    if (!rs) return '- | -';
    const perSecond = median(rs.map((r) => r.perSecond));
    return `${fmt(perSecond)} | ${fmt((load.connections * 1000) / perSecond, 2)} / ${fmt(median(rs.map((r) => r.p99ms)))}`;
  };
  console.log('| load | system-config req/s | mean / p99 ms | etcd req/s | mean / p99 ms | ours / etcd (median of paired trials) | trial ratios |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  const verdicts: string[] = [];
  for (const load of LOADS) {
    const ours = rate(load.name, 'system-config')!;
    const theirs = rate(load.name, 'etcd');
    const ratios = theirs?.map((e, i) => ours[i] / e);
    console.log(`| ${load.name} | ${cell(load, 'system-config')} | ${cell(load, 'etcd')} | ${ratios ? `${fmt(median(ratios), 2)}×` : '-'} | ${ratios ? ratios.map((r) => fmt(r, 2)).join(' / ') : '-'} |`);
    if (ratios && load.kind === 'write')
      verdicts.push(`durable writes at concurrency ${load.connections}: ${fmt(median(ratios), 2)}× etcd (target ≥ 1.0×) ${median(ratios) >= 1 ? 'OK' : 'MISSED'}`);
  }
  for (const v of verdicts) console.log(v);
} finally {
  for (const r of running) await r.stop();
}

if (CRASH_ROUNDS > 0) {
  console.log(`\n## (d) crash test: ${CRASH_ROUNDS} kill -9 rounds`);
  console.log(crashRounds(CRASH_ROUNDS));
}
console.log(`\nload average at the end: ${os.loadavg().map((l) => fmt(l, 1)).join(' ')}`);
