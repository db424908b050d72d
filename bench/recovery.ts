// bench/recovery: the times tests no longer assert (a test waits for "eventually"; a budget is measured
// here), on a real OOD child process with the `notes` app from pkgs/ installed from the zone's repo:
// - watch wake-up: a sys_config_set to the moment a watchLoop on the same prefix hears of it (the feed the
//   scheduler, node-daemon and the control panel follow instead of polling); the peer is the same set's
//   own round trip, so the ratio is what the feed adds to a write;
// - automatic rollback: `buckyos app upgrade notes --version 1.2.0` (1.2.0 exits at start) until the CLI
//   returns with the upgrade rolled back to the previous version and its data restored;
// - power cut: SIGKILL of the OOD and its app processes, then a restart, until the gateway answers and
//   until `notes` answers through it again.
// Run: node --import tsx bench/recovery.ts [--watch-runs 200] [--rollbacks 3] [--power-cuts 3]
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, cli, pollUntil, powerCut, repoRoot, spawnOod, tempDir } from '../kernel/testing/harness.js';
import { login } from '../kernel/cli/session.js';
import { SystemConfigClient } from '../kernel/system-config/client.js';
import { buildPkg } from '../kernel/pkg/index.js';
import { loadAverage, summary, waitForStatus } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const WATCH_RUNS = numberArg('watch-runs', 200);
const ROLLBACKS = numberArg('rollbacks', 3);
const POWER_CUTS = numberArg('power-cuts', 3);

const work = await tempDir('buckyos-bench-recovery-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const emptyPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(emptyPkgs);
const args = ['--pkgs', emptyPkgs];
console.log(`load average at start: ${await loadAverage()}`);
let { ood, env, dir } = await activatedOod({ args });

async function must(what: string, argv: string[]): Promise<void> {
  const r = await cli(argv, env);
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr}`);
}

const notesVersion = async (): Promise<string | undefined> => {
  try {
    const res = await fetch(`${env.BUCKYOS_ZONE}/apps/notes/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as { version: string }).version : undefined;
  } catch {
    return undefined;
  }
};

try {
  const notes = join(repoRoot, 'pkgs/notes');
  for (const v of ['1.0.0', '1.2.0']) {
    const file = join(work.path, `notes-${v}.pkg`);
    await buildPkg(notes, { ...(v === '1.0.0' ? {} : { release: v }), out: file }); // 1.0.0 is the base, not a release overlay
    await must(`publish ${v}`, ['pkg', 'publish', file, '--zone', env.BUCKYOS_ZONE]);
  }
  await must('install', ['app', 'install', 'notes', '--version', '1.0.0']);
  await pollUntil('notes 1.0.0 answering', async () => ((await notesVersion()) === '1.0.0' ? true : undefined), { timeoutMs: 30_000 });

  // Watch wake-up.
  const session = await login({ zone: env.BUCKYOS_ZONE, user: 'alice', password: env.BUCKYOS_PASSWORD });
  const kv = new SystemConfigClient(`${env.BUCKYOS_ZONE}/kapi/system_config`, () => session.sessionToken);
  const key = 'users/alice/apps/notes/bench';
  let heard: ((value: string) => void) | undefined;
  let synced!: () => void;
  const ready = new Promise<void>((r) => (synced = r));
  const loop = kv.watchLoop('users/alice/apps/notes/', (event) => {
    if (event.resync) synced();
    for (const c of event.changes) if (c.key === key && typeof c.value === 'string') heard?.(c.value);
  });
  await ready;
  const wake: number[] = [];
  const write: number[] = [];
  for (let i = 0; i < WATCH_RUNS; i++) {
    const value = `v${i}`;
    const got = new Promise<number>((r) => (heard = (v) => v === value && r(performance.now())));
    const t0 = performance.now();
    await kv.set(key, value);
    write.push(performance.now() - t0);
    wake.push((await got) - t0);
  }
  await loop.stop();
  console.log(`watch wake-up (set → watcher hears it): ${summary(wake)}`);
  console.log(`  peer, the set's own round trip:         ${summary(write)}`);

  // Automatic rollback of a crashing upgrade.
  const rollback: number[] = [];
  for (let i = 0; i < ROLLBACKS; i++) {
    const t0 = performance.now();
    const up = await cli(['app', 'upgrade', 'notes', '--version', '1.2.0'], env);
    rollback.push(performance.now() - t0);
    if (up.code === 0 || !/rolled back to 1\.0\.0/.test(up.stderr)) throw new Error(`expected an automatic rollback: ${up.stderr}`);
    await pollUntil('notes 1.0.0 answering again', async () => ((await notesVersion()) === '1.0.0' ? true : undefined), { timeoutMs: 30_000 });
  }
  console.log(`automatic rollback (upgrade to a crashing 1.2.0 → back on 1.0.0, data restored): ${summary(rollback)}`);

  // Power cut and restart.
  const gatewayUp: number[] = [];
  const appBack: number[] = [];
  for (let i = 0; i < POWER_CUTS; i++) {
    await powerCut(ood);
    const t0 = Date.now();
    ood = spawnOod(dir.path, ood.host, args);
    gatewayUp.push((await waitForStatus(`${env.BUCKYOS_ZONE}/health`, 200, 60_000)) - t0);
    await pollUntil('notes answering after the restart', async () => ((await notesVersion()) === '1.0.0' ? true : undefined), { timeoutMs: 60_000, everyMs: 20 });
    appBack.push(Date.now() - t0);
  }
  console.log(`power cut → gateway answering: ${summary(gatewayUp)}`);
  console.log(`power cut → notes answering through the gateway: ${summary(appBack)}`);
  console.log(`load average at end: ${await loadAverage()}`);
} finally {
  await powerCut(ood);
  await Promise.all([dir.remove(), work.remove()]);
}
