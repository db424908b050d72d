// bench/idle-cpu: CPU use of an idle OOD running 10 apps. Starts a real OOD, writes 10 echo-app specs,
// waits until all answer through the gateway, lets it settle, then reads utime+stime from /proc for
// 30 s: the OOD process (every kernel service) and, separately, the 10 app processes. Also counts KV
// writes in the window (the global revision), since idle CPU is mostly periodic writes and what they
// wake. Target: OOD < 0.5 % of one core.
// Run: node --import tsx bench/idle-cpu.ts [--apps 10] [--window-s 30] [--settle-s 10] [--report-interval-ms N]
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod } from '../kernel/testing/harness.js';
import { login } from '../kernel/cli/session.js';
import { FIXTURE_PKGS, USER, cpuSeconds, echoAppSpec, loadAverage, mib, rssBytes, threadCpuSeconds, waitForStatus } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const APPS = numberArg('apps', 10);
const WINDOW_S = numberArg('window-s', 30);
const SETTLE_S = numberArg('settle-s', 10);
const REPORT_INTERVAL_MS = numberArg('report-interval-ms', 0);
const TARGET_PCT = 0.5;

const { ood, env, dir } = await activatedOod({
  args: ['--pkgs', FIXTURE_PKGS],
  env: REPORT_INTERVAL_MS > 0 ? { BUCKYOS_REPORT_INTERVAL_MS: String(REPORT_INTERVAL_MS) } : {},
});
try {
  const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
  const kv = session.client('system_config');
  const apps = Array.from({ length: APPS }, (_, i) => `idle${i + 1}`);
  for (const [i, app] of apps.entries()) await kv.call('sys_config_set', { key: `users/${USER}/apps/${app}/spec`, value: echoAppSpec(app, 60 + i) });
  await Promise.all(apps.map((app) => waitForStatus(`http://${ood.host}:3180/apps/${app}/`, 200, 60_000, 100)));
  // An app can answer on its port hint a moment before node-daemon reports it started (with its pid).
  const appPids = await Promise.all(apps.map(async (app) => {
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const r = await kv.call<{ value: string } | null>('sys_config_get', { key: `services/${app}@${USER}/instances/ood1` });
      const pid = r ? (JSON.parse(r.value) as { pid: number }).pid : 0;
      if (pid > 0) return pid;
      if (Date.now() > deadline) throw new Error(`${app} has no started instance report with a pid`);
    }
  }));
  const revision = async () => (await kv.call<{ revision: number }>('sys_config_watch', { key: '', revision: Number.MAX_SAFE_INTEGER, timeout_ms: 0 })).revision;
  await sleep(SETTLE_S * 1000);

  const oodPid = ood.child.pid!;
  const cpuOf = async () => ({ ood: await cpuSeconds(oodPid), threads: await threadCpuSeconds(oodPid), apps: await Promise.all(appPids.map(cpuSeconds)) });
  const rev0 = await revision();
  const before = await cpuOf();
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const after = await cpuOf();
  const seconds = (performance.now() - t0) / 1000;
  const rev1 = await revision();

  const pct = (cpu: number) => (100 * cpu) / seconds;
  const oodPct = pct(after.ood - before.ood);
  const appPcts = after.apps.map((c, i) => pct(c - before.apps[i]));
  const appsTotal = appPcts.reduce((a, b) => a + b, 0);
  console.log(`idle CPU over ${seconds.toFixed(1)} s with ${APPS} apps running (after ${SETTLE_S} s settling; report interval ${REPORT_INTERVAL_MS || 'default'} ms):`);
  console.log(`  OOD process (all kernel services): ${oodPct.toFixed(2)} % of one core (target < ${TARGET_PCT} %: ${oodPct < TARGET_PCT ? 'met' : 'NOT met'}), RSS ${mib(await rssBytes(oodPid))}`);
  const mainPct = pct((after.threads.get(oodPid) ?? 0) - (before.threads.get(oodPid) ?? 0));
  console.log(`    of which the main (JavaScript) thread ${mainPct.toFixed(2)} %, other threads (GC helpers, libuv pool, loader) ${(oodPct - mainPct).toFixed(2)} %`);
  if (APPS > 0) console.log(`  ${APPS} app processes: ${appsTotal.toFixed(2)} % in total, busiest ${Math.max(...appPcts).toFixed(2)} %`);
  console.log(`  KV writes in the window: ${rev1 - rev0} (${((60 * (rev1 - rev0)) / seconds).toFixed(1)} per minute)`);
  console.log(`  machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, load average ${await loadAverage()}`);
} finally {
  await ood.kill('SIGTERM');
  await dir.remove();
}
