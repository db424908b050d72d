// bench/gateway: the node gateway's data plane against nginx, in the same run, same backend.
//  (a) throughput: wrk -t2 -c32 through our gateway vs through nginx (reverse proxy, keep-alive
//      upstream pool) in front of the same backend (an nginx `return 200`), with the same number of
//      workers (nginx worker_processes = our data-plane workers); target ours/nginx ≥ 0.5×.
//  (b) latency at c=1: wrk -t1 -c1, mean latency through each proxy minus the backend's own; target
//      our added latency ≤ 50 µs.
//  (c) kRPC: sys_config_get on a real OOD, through the gateway (:3180) vs system-config directly
//      (:3200), wrk -t2 -c32; target ≥ 0.8×.
//  (d) isolation: on the same OOD, sys_config_get latency at c=1 (directly at :3200 and through the
//      gateway) while idle and while wrk floods an app through the gateway; target flood ≤ 2× idle.
// Every comparison alternates its targets trial by trial and reports medians (the machine is shared).
// Run: node --import tsx bench/gateway.ts [--duration 5] [--trials 3] [--connections 32] [--workers 1]
//        [--only a,b,c,d]
import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, randomLoopback, repoRoot, waitForPort } from '../kernel/testing/harness.js';
import { login } from '../kernel/cli/session.js';
import { FIXTURE_PKGS, USER, echoAppSpec, loadAverage, waitForStatus } from './lib/zone-process.js';
import { numberArg, stringArg } from './lib/args.js';

const DURATION = numberArg('duration', 5);
const TRIALS = numberArg('trials', 3);
const CONNECTIONS = numberArg('connections', 32);
const WORKERS = numberArg('workers', 1);
const ONLY = new Set(stringArg('only', 'a,b,c,d').split(','));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

for (const tool of ['wrk', 'nginx']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.log(`${tool} is missing; installing it with apt-get (Debian package ${tool})`);
    spawnSync('apt-get', ['install', '-y', tool], { stdio: 'inherit' });
  }
}

const work = await mkdtemp(join(tmpdir(), 'bench-gateway-'));
const children: ChildProcess[] = [];
const cleanup: Array<() => Promise<void>> = [];

interface WrkResult { rps: number; meanUs: number; p50Us: number; p99Us: number; errors: number; requests: number }

const DONE_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %.3f %.3f %.3f\\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout, latency.mean, latency:percentile(50), latency:percentile(99)))
end
`;

async function wrk(url: string, opts: { threads: number; connections: number; seconds: number; post?: string }): Promise<WrkResult> {
  const script = join(work, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  const post = opts.post === undefined ? '' : `wrk.method = "POST"\nwrk.body = ${JSON.stringify(opts.post)}\nwrk.headers["content-type"] = "application/json"\n`;
  await writeFile(script, post + DONE_LUA);
  const r = spawnSync('wrk', ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '-s', script, url], { encoding: 'utf8' });
  const m = /^WRK (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(r.stdout);
  if (!m) throw new Error(`wrk gave no result for ${url}: ${r.stdout}${r.stderr}`);
  const [requests, durationUs, errors] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { requests, rps: requests / (durationUs / 1e6), errors, meanUs: Number(m[4]), p50Us: Number(m[5]), p99Us: Number(m[6]) };
}

/** wrk in the background (a flood); resolves with its result when it ends. */
function wrkInBackground(url: string, opts: { threads: number; connections: number; seconds: number }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const script = join(work, 'flood.lua');
    void writeFile(script, DONE_LUA).then(() => {
      const child = spawn('wrk', ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '-s', script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => {
        const m = /^WRK (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)$/m.exec(out);
        if (!m) return reject(new Error(`flood gave no result: ${out}`));
        resolve({ requests: Number(m[1]), rps: Number(m[1]) / (Number(m[2]) / 1e6), errors: Number(m[3]), meanUs: Number(m[4]), p50Us: Number(m[5]), p99Us: Number(m[6]) });
      });
    }, reject);
  });
}

async function startNginx(name: string, workers: number, serverBlock: string, extraHttp = ''): Promise<void> {
  const dir = join(work, name);
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const conf = `daemon off;
worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/body; proxy_temp_path ${dir}/tmp/proxy; fastcgi_temp_path ${dir}/tmp/fcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi; scgi_temp_path ${dir}/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  ${extraHttp}
  server { ${serverBlock} }
}
`;
  await writeFile(join(dir, 'nginx.conf'), conf);
  const child = spawn('nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
}

async function stopChildren() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) { c.kill('SIGTERM'); await new Promise((r) => c.once('exit', r)); }
}

const host = randomLoopback();
const BACKEND = 18_080;
const NGINX = 18_081;
const machine = `${os.cpus().length} cores, ${os.cpus()[0]?.model}`;
console.log(`bench/gateway: ${machine}; load average ${await loadAverage()}; ${TRIALS} trials × ${DURATION} s; ${WORKERS} worker(s) each; commit ${spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).stdout.trim()}`);

try {
  if (ONLY.has('a') || ONLY.has('b')) {
    // GATEWAY_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles our gateway process (its worker threads too).
    const nodeFlags = (process.env.GATEWAY_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    // The backend: nginx answering 200 by itself, one worker, so it is never what limits a proxy.
    await startNginx('backend', 1, `listen ${host}:${BACKEND}; location / { return 200 "ok\\n"; }`);
    await startNginx('proxy', WORKERS, `listen ${host}:${NGINX};
    location /apps/bench/ { proxy_pass http://backend/; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; proxy_set_header X-Forwarded-For $remote_addr; }`,
    `upstream backend { server ${host}:${BACKEND}; keepalive 64; }`);
    const gw = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(repoRoot, 'bench/lib/gateway-process.ts'), host, String(BACKEND), String(WORKERS)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(gw);
    const ourPort = await new Promise<number>((resolve, reject) => {
      createInterface({ input: gw.stdout }).once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
      gw.once('exit', (c) => reject(new Error(`the gateway process exited (${c})`)));
    });
    await waitForPort(host, BACKEND);
    await waitForPort(host, NGINX);
    const targets = {
      backend: `http://${host}:${BACKEND}/`,
      nginx: `http://${host}:${NGINX}/apps/bench/`,
      ours: `http://${host}:${ourPort}/apps/bench/`,
    };
    for (const [name, url] of Object.entries(targets)) {
      const r = await fetch(url);
      const body = await r.text();
      if (r.status !== 200 || body !== 'ok\n') throw new Error(`${name} (${url}) answered ${r.status} ${body}`);
      await wrk(url, { threads: 1, connections: 4, seconds: 1 }); // warm-up
    }

    if (ONLY.has('a')) {
      const rps: Record<string, number[]> = { backend: [], nginx: [], ours: [] };
      const ratios: number[] = [];
      for (let t = 0; t < TRIALS; t++) {
        for (const [name, url] of Object.entries(targets)) {
          const r = await wrk(url, { threads: 2, connections: CONNECTIONS, seconds: DURATION });
          if (r.errors > 0) console.log(`  ${name}: ${r.errors} errors`);
          rps[name].push(r.rps);
        }
        ratios.push(rps.ours[t] / rps.nginx[t]);
      }
      console.log(`\n(a) throughput, wrk -t2 -c${CONNECTIONS} -d${DURATION}s, req/s (median; trials)`);
      for (const name of Object.keys(rps)) console.log(`  ${name.padEnd(8)} ${fmt(median(rps[name])).padStart(8)}   ${rps[name].map((x) => fmt(x)).join(' / ')}`);
      console.log(`  ours / nginx: ${median(ratios).toFixed(2)}× (trials ${ratios.map((x) => x.toFixed(2)).join(' / ')}); target ≥ 0.5×: ${median(ratios) >= 0.5 ? 'met' : 'NOT met'}`);
    }

    if (ONLY.has('b')) {
      const mean: Record<string, number[]> = { backend: [], nginx: [], ours: [] };
      const p99: Record<string, number[]> = { backend: [], nginx: [], ours: [] };
      const p50: Record<string, number[]> = { backend: [], nginx: [], ours: [] };
      const added: Record<'nginx' | 'ours', number[]> = { nginx: [], ours: [] };
      for (let t = 0; t < TRIALS; t++) {
        for (const [name, url] of Object.entries(targets)) {
          const r = await wrk(url, { threads: 1, connections: 1, seconds: DURATION });
          mean[name].push(r.meanUs);
          p50[name].push(r.p50Us);
          p99[name].push(r.p99Us);
        }
        added.nginx.push(p50.nginx[t] - p50.backend[t]);
        added.ours.push(p50.ours[t] - p50.backend[t]);
      }
      console.log(`\n(b) one request at a time, wrk -t1 -c1 -d${DURATION}s: p50 latency µs (median; trials), mean and p99 µs (medians)`);
      for (const name of Object.keys(mean)) console.log(`  ${name.padEnd(8)} ${fmt(median(p50[name]), 1).padStart(8)}   ${p50[name].map((x) => fmt(x, 1)).join(' / ')}   mean ${fmt(median(mean[name]), 1)}   p99 ${fmt(median(p99[name]), 0)}`);
      console.log(`  added per hop (p50 minus the backend's p50): nginx ${fmt(median(added.nginx), 1)} µs, ours ${fmt(median(added.ours), 1)} µs (trials ${added.ours.map((x) => fmt(x, 1)).join(' / ')}); target ≤ 50 µs: ${median(added.ours) <= 50 ? 'met' : 'NOT met'}`);
    }
    await stopChildren();
    children.length = 0;
  }

  if (ONLY.has('c') || ONLY.has('d')) {
    const { ood, env, dir } = await activatedOod({ args: ['--pkgs', FIXTURE_PKGS] });
    cleanup.push(async () => { await ood.kill('SIGTERM'); await dir.remove(); });
    const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
    const getBody = JSON.stringify({ method: 'sys_config_get', params: { key: 'boot/config' }, sys: [1, session.sessionToken] });
    const viaGateway = `http://${ood.host}:3180/kapi/system_config`;
    const direct = `http://${ood.host}:3200/kapi/system_config`;
    for (const url of [viaGateway, direct]) {
      const r = await fetch(url, { method: 'POST', body: getBody, headers: { 'content-type': 'application/json' } });
      const text = await r.text();
      if (!text.includes('"result"')) throw new Error(`${url}: ${text}`);
    }

    if (ONLY.has('c')) {
      const rps: Record<'direct' | 'gateway', number[]> = { direct: [], gateway: [] };
      const ratios: number[] = [];
      for (let t = 0; t < TRIALS; t++) {
        rps.direct.push((await wrk(direct, { threads: 2, connections: CONNECTIONS, seconds: DURATION, post: getBody })).rps);
        rps.gateway.push((await wrk(viaGateway, { threads: 2, connections: CONNECTIONS, seconds: DURATION, post: getBody })).rps);
        ratios.push(rps.gateway[t] / rps.direct[t]);
      }
      console.log(`\n(c) kRPC sys_config_get on a real OOD, wrk -t2 -c${CONNECTIONS} -d${DURATION}s, req/s (median; trials)`);
      console.log(`  direct :3200   ${fmt(median(rps.direct)).padStart(7)}   ${rps.direct.map((x) => fmt(x)).join(' / ')}`);
      console.log(`  gateway :3180  ${fmt(median(rps.gateway)).padStart(7)}   ${rps.gateway.map((x) => fmt(x)).join(' / ')}`);
      console.log(`  gateway / direct: ${median(ratios).toFixed(2)}× (trials ${ratios.map((x) => x.toFixed(2)).join(' / ')}); target ≥ 0.8×: ${median(ratios) >= 0.8 ? 'met' : 'NOT met'}`);
    }

    if (ONLY.has('d')) {
      const kv = session.client('system_config');
      await kv.call('sys_config_set', { key: `users/${USER}/apps/flood/spec`, value: echoAppSpec('flood', 60) });
      const appUrl = `http://${ood.host}:3180/apps/flood/`;
      await waitForStatus(appUrl, 200, 60_000, 50);
      const rows: Record<string, { idle: number[]; flood: number[]; idle99: number[]; flood99: number[] }> = {
        'direct :3200': { idle: [], flood: [], idle99: [], flood99: [] },
        'gateway :3180': { idle: [], flood: [], idle99: [], flood99: [] },
      };
      const floodRps: number[] = [];
      await sleep(3000); // let the app's start-up settle
      for (const url of [direct, viaGateway]) await wrk(url, { threads: 1, connections: 1, seconds: 1, post: getBody });
      const sample = async (phase: 'idle' | 'flood') => {
        for (const [name, url] of [['direct :3200', direct], ['gateway :3180', viaGateway]] as const) {
          const r = await wrk(url, { threads: 1, connections: 1, seconds: DURATION, post: getBody });
          rows[name][phase].push(r.p50Us);
          rows[name][`${phase}99`].push(r.p99Us);
        }
      };
      for (let t = 0; t < TRIALS; t++) {
        await sample('idle');
        const flood = wrkInBackground(appUrl, { threads: 1, connections: CONNECTIONS, seconds: 2 * DURATION + 2 });
        await sleep(1000);
        await sample('flood');
        floodRps.push((await flood).rps);
      }
      console.log(`\n(d) sys_config_get at c=1 (wrk -t1 -c1 -d${DURATION}s) idle vs while wrk -t1 -c${CONNECTIONS} floods an app through the gateway (${fmt(median(floodRps))} req/s median)`);
      console.log('  path             idle p50 µs    flood p50 µs   flood/idle   idle p99 / flood p99 µs');
      for (const [name, r] of Object.entries(rows)) {
        const ratio = median(r.flood) / median(r.idle);
        console.log(`  ${name.padEnd(15)} ${fmt(median(r.idle), 0).padStart(12)}   ${fmt(median(r.flood), 0).padStart(13)}   ${ratio.toFixed(2).padStart(9)}×   ${fmt(median(r.idle99))} / ${fmt(median(r.flood99))}`);
        console.log(`  ${''.padEnd(15)} trials idle ${r.idle.map((x) => fmt(x)).join(' / ')}, flood ${r.flood.map((x) => fmt(x)).join(' / ')}; target ≤ 2×: ${ratio <= 2 ? 'met' : 'NOT met'}`);
      }
    }
  }
  console.log(`\nload average at the end: ${await loadAverage()}`);
} finally {
  await stopChildren();
  for (const c of cleanup) await c().catch(() => {});
  await rm(work, { recursive: true, force: true });
}
