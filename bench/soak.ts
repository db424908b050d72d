// bench/soak (issue 14): a real two-node zone (an OOD and a NAS, child processes on loopback addresses)
// under mixed load (KV writes and reads through the gateway, requests to three apps installed from the
// zone's repo) with a fault injected every few minutes, picked at random from one printed seed:
//   power-cut   SIGKILL of the whole OOD process tree (kernel and apps), then a restart
//   sleep       SIGSTOP of the OOD kernel for 8–20 s, then SIGCONT
//   app-crash   SIGKILL of one app process (on either node)
//   nas-cut     SIGKILL of the NAS's whole process tree, then a restart
// and ending with a consistency check: every acknowledged KV write reads back; every app's install
// record, the pkg env of its node (whole, `current` at the recorded version) and the running processes
// (one per placed instance, the one the node-daemon records, none elsewhere) agree with the scheduler.
// Exits 1 when the check fails.
// Run: node --import tsx bench/soak.ts [--minutes 60] [--fault-every-s 180] [--seed N]
import { randomBytes } from 'node:crypto';
import { cp, lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import os from 'node:os';
import {
  activatedOod, appProcessesOf, cli, pollUntil, powerCutTree, randomLoopback, spawnNode, spawnOod, stopWithApps, tempDir, waitForPort, type NodeProcess,
} from '../kernel/testing/harness.js';
import { login, type ZoneSession } from '../kernel/cli/session.js';
import { buildPkg } from '../kernel/pkg/index.js';
import { INSTALLED_META_FILE, type PkgMeta } from '../kernel/pkg/format.js';
import { publishPkg } from '../kernel/repo-server/publish.js';
import { AppManagerClient } from '../kernel/app-manager/client.js';
import { dataPaths } from '../kernel/lib/paths.js';
import { listPidRecords } from '../kernel/node-daemon/pid-record.js';
import type { InstallRecord } from '../kernel/app-manager/types.js';
import type { SchedulerSnapshot } from '../kernel/api/scheduler.js';
import { seededRandom } from '../kernel/reliability/fault-seed.js';
import { FIXTURE_PKGS, percentile } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const MINUTES = numberArg('minutes', 60);
const FAULT_EVERY_S = numberArg('fault-every-s', 180);
const SEED = numberArg('seed', 1 + Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(SEED);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
const APPS = ['soak1', 'soak2', 'soak3'];
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '20', BUCKYOS_REPORT_INTERVAL_MS: '2000', BUCKYOS_LOG_LEVEL: 'warn' };
const t0 = Date.now();
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s]`;
const say = (line: string) => console.log(`${stamp()} ${line}`);
console.log(`bench/soak: ${MINUTES} min, a fault every ${FAULT_EVERY_S} s, seed ${SEED} (replay with --seed ${SEED}); load average ${os.loadavg()[0].toFixed(1)}`);

const work = await tempDir('buckyos-soak-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const noDevPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(noDevPkgs);
const ARGS = ['--pkgs', noDevPkgs];

const first = await activatedOod({ args: ARGS, env: TUNING });
let ood: NodeProcess = first.ood;
const oodHost = first.ood.host;
const { env, mnemonic, dir } = first;
const zone = env.BUCKYOS_ZONE;
const nasDir = await tempDir('buckyos-soak-nas-');
const nasHost = randomLoopback();
let nas = spawnNode(nasDir.path, nasHost, ARGS, TUNING);
const cleanup = async () => {
  for (const p of [ood, nas]) try { process.kill(p.child.pid!, 'SIGCONT'); } catch { /* gone */ }
  await Promise.all([stopWithApps(nas), stopWithApps(ood)]);
  await Promise.all([dir.remove(), nasDir.remove(), work.remove()]);
};
const logs = () => `--- OOD ---\n${ood.log().slice(-2000)}\n--- NAS ---\n${nas.log().slice(-2000)}`;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000) => pollUntil(what, probe, { timeoutMs, everyMs: 100, context: logs });

let session: ZoneSession = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
const relogin = async () => { session = await waitFor('a login', () => login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD })); };
const kvCall = <T>(method: string, params: Record<string, unknown>) => session.client('system_config').call<T>(method, params);
const kvGet = async (key: string) => (await kvCall<{ value: string } | null>('sys_config_get', { key }))?.value;
const apps = () => new AppManagerClient(`${zone}/kapi/app_manager`, session.sessionToken);

// --- the zone: enrol the NAS, publish one app, install it three times (spread over both nodes) ---
const joinCode = await waitFor('the NAS join code', async () => /Join code: (\S+)/.exec(nas.log())?.[1]);
await waitForPort(nasHost, 3182);
const enrolled = await cli(['enroll', '--zone', zone, '--device', `http://${nasHost}:3182`, '--name', 'nas1', '--code', joinCode, '--mnemonic', mnemonic]);
if (enrolled.code !== 0) throw new Error(`enrolment failed: ${enrolled.stderr}`);
const src = join(work.path, 'soak-app');
await cp(join(FIXTURE_PKGS, 'echo-app'), src, { recursive: true });
await writeFile(join(src, 'pkg.json'), JSON.stringify({ ...JSON.parse(await readFile(join(src, 'pkg.json'), 'utf8')), name: 'soak-app' }));
await writeFile(join(src, 'blob.bin'), randomBytes(2 * 1024 * 1024));
await publishPkg({ file: (await buildPkg(src, { out: join(work.path, 'soak-app.pkg') })).file, zone, sessionToken: session.sessionToken });
for (const [i, id] of APPS.entries()) {
  const { task_id } = await apps().install({ name: 'soak-app', installation_id: id, ...(i === 1 ? { node: 'nas1' } : {}) });
  const done = await waitFor(`${id} installed`, async () => { const t = await apps().task(task_id); return t.done ? t : undefined; });
  if (done.outcome !== 'succeeded') throw new Error(`install of ${id}: ${JSON.stringify(done)}`);
}
say(`zone up: ood1 ${oodHost}, nas1 ${nasHost}, apps ${APPS.join(', ')}`);

// --- load: KV writes (acknowledged ones remembered) and reads, app requests through the gateway ---
const acked = new Map<string, string>();
const inFlight = new Map<string, string>();
const counts = { kvOk: 0, kvFail: 0, readOk: 0, readFail: 0, appOk: 0, appFail: 0 };
let stopLoad = false;
async function kvLoad(worker: number): Promise<void> {
  for (let i = 0; !stopLoad; i++) {
    const key = `users/alice/apps/soakkv/w${worker}k${i % 50}`;
    const value = JSON.stringify({ worker, i, at: Date.now() });
    inFlight.set(key, value);
    try {
      await kvCall('sys_config_set', { key, value });
      acked.set(key, value);
      counts.kvOk++;
    } catch (e) {
      if (counts.kvFail++ === 0) say(`  first refused KV write: ${(e as Error).message}`);
      await sleep(200);
    }
    try { await kvGet(key); counts.readOk++; } catch { counts.readFail++; }
    await sleep(20);
  }
}
async function appLoad(): Promise<void> {
  while (!stopLoad) {
    const app = pick(APPS);
    const ok = await fetch(`http://${pick([oodHost, nasHost])}:3180/apps/${app}/`, { signal: AbortSignal.timeout(3000) }).then((r) => r.ok, () => false);
    if (ok) counts.appOk++; else counts.appFail++;
    await sleep(ok ? 50 : 250);
  }
}
const load = [kvLoad(1), kvLoad(2), appLoad(), appLoad()];

// --- faults ---
const recovery: Record<string, number[]> = {};
const note = (what: string, ms: number) => (recovery[what] ??= []).push(ms);
const gatewayUp = (host: string) => waitFor(`${host} gateway`, async () => (await fetch(`http://${host}:3180/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) || undefined);
const allAppsAnswer = () => waitFor('every app through the OOD gateway', async () => {
  for (const app of APPS) if (!(await fetch(`${zone}/apps/${app}/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false))) return undefined;
  return true;
});
async function appProcess(app: string): Promise<{ pid: number; node: NodeProcess } | undefined> {
  for (const node of [ood, nas]) {
    const p = appProcessesOf(node.dataDir).find((x) => x.appId === app);
    if (p) return { pid: p.pid, node };
  }
  return undefined;
}

const FAULTS = ['power-cut', 'sleep', 'app-crash', 'nas-cut'] as const;
async function inject(kind: (typeof FAULTS)[number]): Promise<void> {
  const at = Date.now();
  if (kind === 'power-cut') {
    await powerCutTree(ood);
    await sleep(1000 + random() * 4000);
    const restarted = Date.now();
    ood = spawnOod(dir.path, oodHost, ARGS, TUNING);
    await gatewayUp(oodHost);
    await relogin();
    note('power cut: restart → gateway answering', Date.now() - restarted);
    await allAppsAnswer();
    note('power cut: restart → every app answering', Date.now() - restarted);
  } else if (kind === 'sleep') {
    const ms = Math.round(8000 + random() * 12_000);
    process.kill(ood.child.pid!, 'SIGSTOP');
    await sleep(ms);
    process.kill(ood.child.pid!, 'SIGCONT');
    const woke = Date.now();
    await allAppsAnswer();
    note('sleep: resume → every app answering', Date.now() - woke);
    say(`  (slept ${ms} ms)`);
  } else if (kind === 'app-crash') {
    const app = pick(APPS);
    const victim = await appProcess(app);
    if (!victim) return say(`  ${app} has no process right now; skipped`);
    process.kill(victim.pid, 'SIGKILL');
    const killed = Date.now();
    await waitFor(`${app} running again`, async () => {
      const p = appProcessesOf(victim.node.dataDir).find((x) => x.appId === app && x.pid !== victim.pid);
      return p ? true : undefined;
    });
    note('app crash: kill → new process', Date.now() - killed);
    await waitFor(`${app} answering again`, async () => (await fetch(`http://${victim.node.host}:3180/apps/${app}/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)) || undefined);
    note('app crash: kill → answering on its node', Date.now() - killed);
    say(`  (${app} on ${victim.node === ood ? 'ood1' : 'nas1'})`);
  } else {
    await powerCutTree(nas);
    await sleep(1000 + random() * 4000);
    const restarted = Date.now();
    nas = spawnNode(nasDir.path, nasHost, ARGS, TUNING);
    await gatewayUp(nasHost);
    await allAppsAnswer();
    note('NAS power cut: restart → every app answering', Date.now() - restarted);
  }
  say(`fault ${kind} handled in ${((Date.now() - at) / 1000).toFixed(1)} s`);
}

const end = t0 + MINUTES * 60_000;
const injected: string[] = [];
while (Date.now() + 5000 < end) {
  await sleep(Math.min(FAULT_EVERY_S * 1000 * (0.5 + random()), Math.max(0, end - Date.now() - 5000)));
  if (Date.now() + 5000 >= end) break;
  const kind = pick(FAULTS);
  injected.push(kind);
  say(`fault ${kind}`);
  await inject(kind);
}
stopLoad = true;
await Promise.all(load);

// Backoff: one app crashed four times in a row, each as soon as it is back (0.5 s, 1 s, 2 s, 4 s expected).
const backoff: number[] = [];
for (let i = 0; i < 4; i++) {
  const victim = await waitFor('soak1 running', () => appProcess('soak1'));
  process.kill(victim.pid, 'SIGKILL');
  const killed = Date.now();
  await waitFor('soak1 restarted', async () => (appProcessesOf(victim.node.dataDir).some((x) => x.appId === 'soak1' && x.pid !== victim.pid) ? true : undefined));
  backoff.push(Date.now() - killed);
}

// --- consistency check ---
const problems: string[] = [];
await relogin();
for (const [key, value] of acked) {
  const now = await kvGet(key);
  if (now !== value && now !== inFlight.get(key)) problems.push(`KV ${key}: acknowledged ${value}, reads ${String(now)}`);
}
const nodeOf: Record<string, NodeProcess> = { ood1: ood, nas1: nas };
// Let the zone settle (reports fresh, nothing converging), then compare.
const intent = await waitFor('a settled zone', async () => {
  const snap = JSON.parse((await kvGet('system/scheduler/snapshot')) ?? 'null') as SchedulerSnapshot | null;
  if (!snap) return undefined;
  const placed = Object.entries(snap.placements).filter(([, p]) => p.kind === 'app');
  for (const [id, p] of placed) {
    for (const inst of p.instances) {
      const procs = appProcessesOf(nodeOf[inst.node].dataDir).filter((x) => `${x.appId}@alice` === id || x.appId === id.split('@')[0]);
      if (procs.length !== 1) return undefined;
    }
  }
  return { snap, placed };
}, 120_000).catch((e: unknown) => { problems.push(`the zone did not settle: ${(e as Error).message.split('\n')[0]}`); return undefined; });
if (intent) {
  const expected = new Map<string, string>();
  for (const [id, p] of intent.placed) for (const inst of p.instances) expected.set(id.split('@')[0], inst.node);
  for (const [name, node] of Object.entries(nodeOf)) {
    const records = new Set((await listPidRecords(dataPaths(node.dataDir).run)).flatMap(({ record }) => (record ? [`${record.pid}:${record.marker}`] : [])));
    for (const p of appProcessesOf(node.dataDir)) {
      if (expected.get(p.appId) !== name) problems.push(`process ${p.pid} runs ${p.appId} on ${name}, where the scheduler placed nothing of it`);
      if (!records.has(`${p.pid}:${p.marker}`)) problems.push(`process ${p.pid} (${p.appId} on ${name}) is not one the node-daemon records`);
    }
    problems.push(...(await pkgEnvProblems(name, node.dataDir)));
  }
  for (const app of APPS) {
    const rec = JSON.parse((await kvGet(`users/alice/apps/${app}/install_record`)) ?? 'null') as InstallRecord | null;
    const node = expected.get(app);
    if (!rec || !node) { problems.push(`${app}: no install record or no placement`); continue; }
    if (rec.state !== 'running') problems.push(`${app}: install record state ${rec.state}`);
    const current = await readlink(join(dataPaths(nodeOf[node].dataDir).pkgs, 'soak-app', 'current')).catch(() => '');
    if (!current.endsWith(rec.version)) problems.push(`${app}: recorded ${rec.version}, ${node}'s pkg env has current → ${current || 'nothing'}`);
  }
}

async function pkgEnvProblems(node: string, dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = dataPaths(dataDir).pkgs;
  const staging = await readdir(join(root, '.staging')).catch(() => []);
  if (staging.length) out.push(`${node}: staging left in the pkg env: ${staging.join(', ')}`);
  for (const name of await readdir(root).catch(() => [])) {
    if (name.startsWith('.')) continue;
    for (const entry of await readdir(join(root, name))) {
      const path = join(root, name, entry);
      if ((await lstat(path)).isSymbolicLink()) {
        if (!(await stat(path).then(() => true, () => false))) out.push(`${node}: ${name}/${entry} points nowhere`);
        continue;
      }
      if (entry.startsWith('.')) continue;
      const meta = await readFile(join(path, INSTALLED_META_FILE), 'utf8').then((t) => JSON.parse(t) as PkgMeta, () => undefined);
      if (!meta) { out.push(`${node}: ${name}/${entry} is half-installed (no meta)`); continue; }
      for (const f of meta.files) if ((await stat(join(path, f.path)).then((s) => s.size, () => -1)) !== f.size) out.push(`${node}: ${name}/${entry}/${f.path} is cut short`);
    }
  }
  return out;
}

// --- report ---
const line = (k: string, v: number[]) => `| ${k} | ${percentile(v, 50).toFixed(0)} ms | ${percentile(v, 95).toFixed(0)} ms | ${Math.max(...v).toFixed(0)} ms | ${v.length} |`;
console.log(`\nbench/soak, seed ${SEED}: ${((Date.now() - t0) / 60_000).toFixed(1)} min, faults: ${FAULTS.map((f) => `${f} ×${injected.filter((x) => x === f).length}`).join(', ')}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('| recovery | p50 | p95 | max | n |\n| --- | ---: | ---: | ---: | ---: |');
for (const [k, v] of Object.entries(recovery)) console.log(line(k, v));
console.log(`\nback-to-back crashes of one app, kill → new process: ${backoff.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`);
console.log(`load: KV writes ${counts.kvOk} acknowledged / ${counts.kvFail} refused or cut; KV reads ${counts.readOk} / ${counts.readFail} failed; app requests ${counts.appOk} ok / ${counts.appFail} failed`);
console.log(`consistency (${acked.size} keys, ${APPS.length} apps, 2 nodes): ${problems.length === 0 ? 'PASS' : `FAIL\n  ${problems.join('\n  ')}`}`);
await cleanup();
process.exit(problems.length === 0 ? 0 : 1);
