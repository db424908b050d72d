// bench/schedule: one scheduler pass over a zone of 1,000 apps × 50 nodes (target ≤ 50 ms), then the
// same input again (must be 0 writes), a steady-state pass with memory and report-time noise (0
// writes), and a pass where one node went away (self-healing).
// Run: node --import tsx bench/schedule.ts [--apps 1000] [--nodes 50] [--runs 15]
import os from 'node:os';
import { buildSchedulerInput } from '../kernel/scheduler/input.js';
import { schedule } from '../kernel/scheduler/schedule.js';
import { parseSnapshot, snapshotWrites } from '../kernel/scheduler/snapshot-store.js';
import { splitTx } from '../kernel/scheduler/loop.js';
import { canonicalJson } from '../kernel/scheduler/canonical.js';
import { GiB, MiB, appSpec, applyWrites, bootedZone, deviceInfo, instanceReport, userSettings } from '../kernel/scheduler/fixtures/zone.js';
import type { ScheduleResult } from '../kernel/scheduler/types.js';
import { numberArg } from './lib/args.js';

const APPS = numberArg('apps', 1000);
const NODES = numberArg('nodes', 50);
const RUNS = numberArg('runs', 15);
const NOW = 1_700_000_100;
const USERS = 10;

const nodeName = (i: number) => (i === 0 ? 'ood1' : `node${String(i).padStart(2, '0')}`);

function zone(now: number, memNoise = 0): Record<string, string> {
  const dump: Record<string, string> = { ...bootedZone() };
  for (let i = 0; i < NODES; i++) {
    const name = nodeName(i);
    dump[`devices/${name}/info`] = deviceInfo(name, {
      type: i === 0 ? 'ood' : 'node', updateTime: now - 3,
      arch: i % 5 === 4 ? 'aarch64' : 'amd64', supportContainer: i % 3 === 0,
      totalMem: (8 + (i % 4) * 8) * GiB, memUsage: (1 + (i % 3)) * GiB + memNoise * MiB, allIp: [`10.0.${i >> 8}.${i & 255}`],
    });
  }
  for (let u = 0; u < USERS; u++) dump[`users/user${u}/settings`] = userSettings(`user${u}`);
  for (let a = 0; a < APPS; a++) {
    const user = `user${a % USERS}`;
    const pkgList: Record<string, { pkg_id: string }> | undefined = a % 10 === 9 ? { amd64_docker_image: { pkg_id: `app${a}-img#1.0.0` } } : a % 10 === 8 ? { amd64_linux_app: { pkg_id: `app${a}#1.0.0` } } : undefined;
    dump[`users/${user}/apps/app${a}/spec`] = appSpec(user, `app${a}`, { appIndex: 10 + (a % 2000), memory: (64 + (a % 8) * 32) * MiB, pkgList, count: a % 25 === 0 ? 2 : 1 });
  }
  for (const svc of ['verify-hub', 'scheduler', 'repo-service', 'control-panel']) {
    dump[`services/${svc}/instances/ood1`] = instanceReport(svc, 'ood1', { port: 3000 + svc.length, now });
  }
  return dump;
}

/** Wall and CPU time of `fn` per run. CPU time is the steadier number on a shared machine. */
interface Timing {
  wall: number[];
  cpu: number[];
}

function measure(fn: () => void): Timing {
  const t: Timing = { wall: [], cpu: [] };
  for (let i = 0; i < RUNS; i++) {
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    fn();
    t.wall.push(performance.now() - wall0);
    const cpu = process.cpuUsage(cpu0);
    t.cpu.push((cpu.user + cpu.system) / 1000);
  }
  return t;
}

function timePass(dump: Record<string, string>, now: number): { ms: Timing; result: ScheduleResult } {
  let result: ScheduleResult | undefined;
  const ms = measure(() => {
    result = schedule(buildSchedulerInput(dump), parseSnapshot(dump['system/scheduler/snapshot']), now);
  });
  return { ms, result: result! };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (t: Timing) => `wall median ${median(t.wall).toFixed(1)} ms (min ${Math.min(...t.wall).toFixed(1)}), cpu median ${median(t.cpu).toFixed(1)} ms (min ${Math.min(...t.cpu).toFixed(1)})`;
const apply = (dump: Record<string, string>, r: ScheduleResult) => applyWrites(dump, { ...r.writes, ...snapshotWrites(r.snapshot, dump) });

function schedulePartOnly(dump: Record<string, string>, now: number): Timing {
  const input = buildSchedulerInput(dump);
  const last = parseSnapshot(dump['system/scheduler/snapshot']);
  return measure(() => schedule(input, last, now));
}

let dump = zone(NOW);
const dumpBytes = Object.values(dump).reduce((n, v) => n + v.length, 0);
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
console.log(`zone: ${APPS} apps, ${NODES} nodes, ${USERS} users; dump ${Object.keys(dump).length} keys, ${(dumpBytes / 1024).toFixed(0)} KiB; ${RUNS} runs per case\n`);

const cold = timePass(dump, NOW);
const coldTx = { ...cold.result.writes, ...snapshotWrites(cold.result.snapshot, dump) };
const placed = cold.result.actions.filter((a) => a.type === 'place_instance').length;
const unplaced = Object.values(cold.result.snapshot.placements).filter((p) => p.unplaced).length;
console.log(`1. cold pass (everything new), parse + schedule: ${fmt(cold.ms)}`);
console.log(`   schedule() alone: ${fmt(schedulePartOnly(dump, NOW))}`);
console.log(`   ${cold.result.actions.length} actions, ${placed} instances placed, ${unplaced} specs unplaced, ${Object.keys(coldTx).length} keys written in ${splitTx(coldTx).length} exec_tx part(s); snapshot ${(canonicalJson(cold.result.snapshot).length / 1024).toFixed(0)} KiB`);
dump = apply(dump, cold.result);
const bytesOf = (test: (k: string) => boolean) => Object.entries(dump).filter(([k]) => test(k)).reduce((n, [, v]) => n + v.length, 0);
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`   converged dump: ${kib(bytesOf(() => true))} (gateway_info ${kib(bytesOf((k) => k.endsWith('/gateway_info')))}, node configs ${kib(bytesOf((k) => /^nodes\/[^/]+\/config$/.test(k)))}, each history entry ${kib(dump['system/scheduler/snapshot'].length)})`);

const same = timePass(dump, NOW);
console.log(`2. unchanged input, parse + schedule: ${fmt(same.ms)}`);
console.log(`   schedule() alone: ${fmt(schedulePartOnly(dump, NOW))}`);
console.log(`   writes: ${Object.keys(same.result.writes).length}, actions: ${same.result.actions.length}, changed: ${same.result.changed}`);
if (same.result.changed || Object.keys(same.result.writes).length > 0) throw new Error('unchanged input must give 0 writes');

const moved = zone(NOW + 10, 37);
const noisy = { ...dump };
for (const k of Object.keys(moved)) if (k.startsWith('devices/') || k.includes('/instances/')) noisy[k] = moved[k];
const steady = timePass(noisy, NOW + 10);
console.log(`3. steady state (memory usage and report times moved), parse + schedule: ${fmt(steady.ms)}`);
console.log(`   writes: ${Object.keys(steady.result.writes).length}, changed: ${steady.result.changed}`);
if (steady.result.changed) throw new Error('memory and report-time noise must give 0 writes');

const gone = { ...noisy };
const victim = nodeName(Math.min(7, NODES - 1));
gone[`devices/${victim}/info`] = deviceInfo(victim, { type: 'node', updateTime: NOW - 100, totalMem: 8 * GiB, allIp: ['10.0.0.7'] });
const heal = timePass(gone, NOW + 10);
const replaced = heal.result.actions.filter((a) => a.type === 'place_instance' && a.reason.code === 'replace:node-gone').length;
console.log(`4. ${victim} went away, parse + schedule: ${fmt(heal.ms)}`);
console.log(`   ${replaced} instances re-placed (replace:node-gone), ${Object.keys(heal.result.writes).length} keys written`);
