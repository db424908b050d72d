// bench/cold-start: an activated OOD (`buckyos ood` as a child process, exactly what `npm start` runs)
// from spawn until its gateway answers /health, and the OOD process's RSS once idle. Targets: start
// ≤ 1 s, idle RSS ≤ 100 MB. Measured twice through bin/buckyos.js: as `npm start` runs it (the
// prebuilt split bundle dist/kernel/, rebuilt first so it is fresh) and from the TypeScript sources
// through tsx (BUCKYOS_FROM_SOURCE=1, what a checkout being edited runs), to show what the build step
// buys. `buckyos help` times Node + loader + CLI.
// Run: node --import tsx bench/cold-start.ts [--runs 10] [--idle-s 15]
import os from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { activatedOod, repoRoot } from '../kernel/testing/harness.js';
import { loadAverage, mib, percentile, rssBytes, summary, waitForStatus } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const RUNS = numberArg('runs', 10);
const IDLE_S = numberArg('idle-s', 15);
const TARGET_MS = 1000;
const TARGET_RSS = 100 * 1024 * 1024;

let fromSource = false;
const run = (entry: string, args: string[]): ChildProcess =>
  spawn(process.execPath, [entry, ...args], { stdio: 'ignore', env: { ...process.env, BUCKYOS_LOG_LEVEL: 'warn', BUCKYOS_FROM_SOURCE: fromSource ? '1' : '0' } });

const stop = (child: ChildProcess) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) return resolve();
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
});

function timeHelp(entry: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    run(entry, ['help']).on('exit', (code) => (code === 0 ? resolve(Date.now() - t0) : reject(new Error(`${entry} help exited ${code}`))));
  });
}

async function measure(label: string, entry: string, dataDir: string, host: string): Promise<void> {
  const help: number[] = [];
  for (let i = 0; i < RUNS; i++) help.push(await timeHelp(entry));
  const starts: number[] = [];
  let firstRss = 0;
  let idleRss = 0;
  for (let i = 0; i <= RUNS; i++) {
    const t0 = Date.now();
    const child = run(entry, ['ood', '--data', dataDir, '--host', host]);
    try {
      const up = await waitForStatus(`http://${host}:3180/health`, 200, 30_000, 2);
      // Run 0 fills disk caches (and the loader's transform cache); it is not counted.
      if (i > 0) starts.push(up - t0);
      if (i === RUNS) {
        firstRss = await rssBytes(child.pid!);
        await sleep(IDLE_S * 1000);
        idleRss = await rssBytes(child.pid!);
      }
    } finally {
      await stop(child);
    }
  }
  console.log(`${label}:`);
  console.log(`  spawn → gateway /health answers: ${summary(starts)} (target ≤ ${TARGET_MS} ms: ${percentile(starts, 50) <= TARGET_MS ? 'met at p50' : 'NOT met at p50'}${percentile(starts, 95) <= TARGET_MS ? ' and p95' : ''})`);
  console.log(`  \`buckyos help\` (Node + loader + CLI module, no kernel): ${summary(help)}`);
  console.log(`  OOD process RSS: ${mib(firstRss)} when the gateway first answered, ${mib(idleRss)} after ${IDLE_S} s idle (target ≤ ${mib(TARGET_RSS)}: ${idleRss <= TARGET_RSS ? 'met' : 'NOT met'})`);
}

const { ood: first, dir } = await activatedOod();
await first.kill('SIGTERM');
try {
  const bin = join(repoRoot, 'bin/buckyos.js');
  execFileSync(process.execPath, [join(repoRoot, 'scripts/build-kernel.mjs')]);
  await measure('bin/buckyos.js as `npm start` runs it (prebuilt bundle)', bin, dir.path, first.host);
  fromSource = true;
  await measure('bin/buckyos.js from the sources (tsx, BUCKYOS_FROM_SOURCE=1)', bin, dir.path, first.host);
  console.log(`machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, load average ${await loadAverage()}`);
} finally {
  await dir.remove();
}
