// bench/node-memory: idle memory of the headless node (no apps), next to the OOD's. Target: the node
// ≤ 45 MB RSS idle. Builds the node bundle (installers/node-daemon/build.mjs), activates a real OOD,
// enrols one node data folder with `buckyos enroll`, then starts the node on it once per runtime, one at
// a time, and reads /proc after it settled: VmRSS, and its split into anonymous memory (the heap, what
// our code and its packages cost) and file pages (the node binary and shared libraries, shared with every
// other Node process and reclaimable), plus PSS. Also the node waiting to be added (a fresh data folder).
// Runtimes: this machine's Node with the bundle; Node 24 (dist/node-daemon/runtimes/x64, fetched by
// `npm run build:node:sea`) with the bundle; the x64 single executable if it was built; `buckyos node`
// (bin/buckyos.js, the kernel's own prebuilt split bundle).
// Run: node --import tsx bench/node-memory.ts [--settle-s 20] [--only "bundle on Node 20"] [--node-flags "--max-semi-space-size=1"]
import os from 'node:os';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, cli, randomLoopback, repoRoot, tempDir, waitForPort } from '../kernel/testing/harness.js';
import { loadAverage, mib, waitForStatus } from './lib/zone-process.js';
import { numberArg, stringArg } from './lib/args.js';

const SETTLE_S = numberArg('settle-s', 20);
const NODE_FLAGS = stringArg('node-flags', '').split(' ').filter(Boolean);
const TARGET = 45 * 1024 * 1024;
const bundle = join(repoRoot, 'dist/node-daemon/buckyos-node.cjs');
const node24 = join(repoRoot, 'dist/node-daemon/runtimes/x64/package/bin/node');
const sea = join(repoRoot, 'dist/node-daemon/buckyos-node-linux-x64');

interface Memory { rss: number; anon: number; file: number; pss: number }
async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (re: RegExp, text: string) => Number(re.exec(text)?.[1] ?? NaN) * 1024;
  const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  return { rss: kb(/^VmRSS:\s+(\d+)/m, status), anon: kb(/^RssAnon:\s+(\d+)/m, status), file: kb(/^RssFile:\s+(\d+)/m, status), pss: kb(/^Pss:\s+(\d+)/m, rollup) };
}

const stop = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) return resolve();
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
});

interface Runtime { label: string; cmd: string; args: string[]; env?: Record<string, string> }
const ONLY = stringArg('only', '');
const allRuntimes: Runtime[] = [
  { label: `bundle on Node ${process.versions.node}`, cmd: process.execPath, args: [...NODE_FLAGS, bundle] },
  ...(existsSync(node24) ? [{ label: `bundle on Node ${execFileSync(node24, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()}`, cmd: node24, args: [...NODE_FLAGS, bundle] }] : []),
  // A single executable takes Node's flags from NODE_OPTIONS (as the service files set them).
  ...(existsSync(sea) ? [{ label: 'single executable (Node 24)', cmd: sea, args: [], env: NODE_FLAGS.length ? { NODE_OPTIONS: NODE_FLAGS.join(' ') } : {} }] : []),
  { label: `buckyos node (kernel prebuilt, Node ${process.versions.node})`, cmd: process.execPath, args: [...NODE_FLAGS, join(repoRoot, 'bin/buckyos.js')] },
];
/** --only WORD: just the runtimes whose label has WORD (e.g. "bundle on Node 20"). */
const runtimes = allRuntimes.filter((r) => r.label.includes(ONLY));

async function idleNode(rt: Runtime, dataDir: string, host: string, ready: string): Promise<Memory> {
  const child = spawn(rt.cmd, [...rt.args, 'node', '--data', dataDir, '--host', host], { stdio: 'ignore', env: { ...process.env, BUCKYOS_LOG_LEVEL: 'warn', ...rt.env } });
  try {
    await waitForStatus(ready, 200, 60_000, 50);
    await sleep(SETTLE_S * 1000);
    return await memoryOf(child.pid!);
  } finally {
    await stop(child);
  }
}

const row = (label: string, m: Memory) =>
  `| ${label} | **${mib(m.rss)}** ${m.rss <= TARGET ? '— met' : ''} | ${mib(m.anon)} | ${mib(m.file)} | ${mib(m.pss)} |`;

execFileSync(process.execPath, [join(repoRoot, 'installers/node-daemon/build.mjs')], { stdio: 'ignore' });
execFileSync(process.execPath, [join(repoRoot, 'scripts/build-kernel.mjs')], { stdio: 'ignore' });
const { ood, env, mnemonic, dir } = await activatedOod();
const nodeDir = await tempDir('buckyos-node-mem-');
const waitingDir = await tempDir('buckyos-node-wait-');
const host = randomLoopback();
try {
  // Enrol once (with the first runtime), then restart the enrolled node under each runtime.
  const first = spawn(runtimes[0].cmd, [...runtimes[0].args, 'node', '--data', nodeDir.path, '--host', host], { stdio: 'ignore' });
  await waitForPort(host, 3182);
  const code = ((await (await fetch(`http://${host}:3182/device`)).json()) as { join_code: string }).join_code;
  const enrolled = await cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--device', `http://${host}:3182`, '--code', code, '--name', 'nas1', '--mnemonic', mnemonic]);
  if (enrolled.code !== 0) throw new Error(enrolled.stderr);
  await waitForStatus(`http://${host}:3180/health`, 200, 60_000, 100);
  await stop(first);

  console.log(`idle memory after ${SETTLE_S} s, no apps${NODE_FLAGS.length ? `, node flags ${NODE_FLAGS.join(' ')}` : ''} (target ≤ ${mib(TARGET)} RSS):\n`);
  console.log('| process | RSS | of which anonymous | file pages | PSS |\n| --- | --- | --- | --- | --- |');
  console.log(row('OOD (`buckyos ood`, every kernel service)', await memoryOf(ood.child.pid!)));
  for (const rt of runtimes) {
    console.log(row(`node, enrolled: ${rt.label}`, await idleNode(rt, nodeDir.path, host, `http://${host}:3180/health`)));
    console.log(row(`node, waiting to be added: ${rt.label}`, await idleNode(rt, waitingDir.path, host, `http://${host}:3182/device`)));
  }
  const floor = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  await sleep(2000);
  console.log(row(`empty Node ${process.versions.node} process (the floor)`, await memoryOf(floor.pid!)));
  await stop(floor);
  if (existsSync(node24)) {
    const floor24 = spawn(node24, ['-e', 'setInterval(() => {}, 1000)']);
    await sleep(2000);
    console.log(row('empty Node 24 process (the floor)', await memoryOf(floor24.pid!)));
    await stop(floor24);
  }
  console.log(`\nmachine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, load average ${await loadAverage()}`);
} finally {
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), nodeDir.remove(), waitingDir.remove()]);
}
