// Issue 14, power cut: the whole OOD process tree (kernel and every app) is killed with SIGKILL at a
// random point of an app install, an upgrade that snapshots the app's data, and a repo upload; then the
// OOD is started again on the same data folder. After the restart: every pipeline resumes or rolls
// back by itself, everything acknowledged is there, no pkg is half-installed, and every app process
// running for this data folder is one the node-daemon records, one per app (no orphan keeps a port).
// The random points come from one seed, printed first; BUCKYOS_FAULT_SEED=<seed> replays a failure.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, appProcessesOf, pollUntil, powerCutTree, spawnOod, stopWithApps, tempDir, waitForPort, type NodeProcess } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { buildPkg } from '../pkg/index.js';
import { INSTALLED_META_FILE, type PkgMeta } from '../pkg/format.js';
import { publishPkg } from '../repo-server/publish.js';
import { RepoClient } from '../repo-server/client.js';
import { AppManagerClient, type TaskView } from '../app-manager/client.js';
import { dataPaths } from '../lib/paths.js';
import { listPidRecords } from '../node-daemon/pid-record.js';
import type { InstallRecord } from '../app-manager/types.js';
import { faultSeed } from './fault-seed.js';

const fault = faultSeed('power cut during app pipelines');
const work = await tempDir('buckyos-cut-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const noDevPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(noDevPkgs);
const OOD_ARGS = ['--pkgs', noDevPkgs];
const OOD_ENV = { BUCKYOS_REPORT_INTERVAL_MS: '1000' };
const first = await activatedOod({ args: OOD_ARGS, env: OOD_ENV });
let ood: NodeProcess = first.ood;
const { env, dir } = first;
const host = first.ood.host;
after(async () => {
  await stopWithApps(ood);
  await Promise.all([dir.remove(), work.remove()]);
});
const zone = env.BUCKYOS_ZONE;
const logs = () => ood.log().slice(-3000);
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 100) => pollUntil(what, probe, { timeoutMs, everyMs, context: logs });

let session = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
const apps = () => new AppManagerClient(`${zone}/kapi/app_manager`, session.sessionToken);
const kvGet = async (key: string) => (await session.client('system_config').call<{ value: string } | null>('sys_config_get', { key }))?.value;
const record = async (app: string) => JSON.parse((await kvGet(`users/alice/apps/${app}/install_record`)) ?? 'null') as InstallRecord | null;
const finished = (taskId: string) => waitFor(`task ${taskId} to finish`, async () => {
  const t: TaskView = await apps().task(taskId);
  return t.done ? t : undefined;
}, 120_000, 200);

/** Power cut now, then the OOD again on the same folder, with a fresh login once it serves. */
async function cutAndRestart(what: string): Promise<void> {
  await powerCutTree(ood);
  assert.deepEqual(appProcessesOf(dir.path), [], `an app of this data folder outlived the power cut (${what})`);
  ood = spawnOod(dir.path, host, OOD_ARGS, OOD_ENV);
  await waitForPort(host, 3180, 90_000);
  session = await waitFor('a login after the restart', () => login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD }));
}

// An app whose 2.0.0 migrates the data at start-up (keeping what was there) and stays healthy; a blob
// makes the pkg big enough that fetching it into the pkg env takes a while.
const src = join(work.path, 'keeper');
await mkdir(join(src, 'releases/2.0.0'), { recursive: true });
const manifest = (name: string) => ({
  name, version: '1.0.0', description: 'test fixture', deps: {}, start: { cmd: ['node', 'server.mjs'] },
  health: { path: '/health' }, exposes: { www: { protocol: 'http' } }, install: { data_mounts: [], bind: '127.0.0.1' },
  min_resources: { memory_mb: 32 }, platform: 'any',
});
await writeFile(join(src, 'pkg.json'), JSON.stringify(manifest('keeper')));
await writeFile(join(src, 'releases/2.0.0/pkg.patch.json'), '{}');
await writeFile(join(src, 'blob.bin'), randomBytes(8 * 1024 * 1024));
await writeFile(join(src, 'server.mjs'), `
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
const version = JSON.parse(readFileSync(new URL('./pkg.json', import.meta.url), 'utf8')).version;
const file = join(process.env.BUCKYOS_DATA_DIR, 'data.json');
const save = (text) => { writeFileSync(file + '.tmp', text); renameSync(file + '.tmp', file); };
if (version.startsWith('2.') && existsSync(file)) save(JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), migrated_by: version }));
const server = createServer((req, res) => {
  if (req.url === '/health') return res.end(JSON.stringify({ version, pid: process.pid }));
  if (req.method === 'POST') { let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => { save(b); res.end('ok'); }); return; }
  res.end(existsSync(file) ? readFileSync(file) : '{}');
});
const tryPort = (p) => server.once('error', () => tryPort(p + 1)).listen(p, process.env.BUCKYOS_BIND, () => {
  writeFileSync(process.env.BUCKYOS_PORT_FILE + '.tmp', String(p));
  renameSync(process.env.BUCKYOS_PORT_FILE + '.tmp', process.env.BUCKYOS_PORT_FILE);
});
tryPort(Number(process.env.BUCKYOS_SERVICE_PORT));
process.on('SIGTERM', () => process.exit(0));
`);
for (const release of [undefined, '2.0.0']) {
  const built = await buildPkg(src, { release, out: join(work.path, `keeper-${release ?? '1.0.0'}.pkg`) });
  await publishPkg({ file: built.file, zone, sessionToken: session.sessionToken });
}
// A bigger app for the upload: 48 MiB of content that does not compress.
const bulkySrc = join(work.path, 'bulky');
await mkdir(bulkySrc);
await writeFile(join(bulkySrc, 'pkg.json'), JSON.stringify(manifest('bulky')));
await writeFile(join(bulkySrc, 'server.mjs'), await readFile(join(src, 'server.mjs')));
await writeFile(join(bulkySrc, 'blob.bin'), randomBytes(48 * 1024 * 1024));
const bulkyPkg = (await buildPkg(bulkySrc, { out: join(work.path, 'bulky.pkg') })).file;

const health = (app: string) => waitFor(`${app} answering through the gateway`, async () => {
  const res = await fetch(`${zone}/apps/${app}/health`, { signal: AbortSignal.timeout(5000) });
  return res.ok ? ((await res.json()) as { version: string; pid: number }) : undefined;
});

/** Every installed pkg version is whole (its meta and every file at its size), `current` points at one, and no staging is left. */
async function assertPkgEnvWhole(): Promise<void> {
  const root = dataPaths(dir.path).pkgs;
  const staging = await readdir(join(root, '.staging')).catch(() => []);
  assert.deepEqual(staging, [], 'staging left behind in the pkg env');
  for (const name of await readdir(root)) {
    if (name.startsWith('.')) continue;
    for (const entry of await readdir(join(root, name))) {
      const path = join(root, name, entry);
      if ((await lstat(path)).isSymbolicLink()) {
        if (entry === 'current' || entry === 'previous') await stat(path).catch(() => assert.fail(`${name}/${entry} points at ${String(readlink(path))}, which is not there`));
        continue;
      }
      if (entry.startsWith('.')) continue;
      const meta = JSON.parse(await readFile(join(path, INSTALLED_META_FILE), 'utf8').catch(() => assert.fail(`${name}/${entry} has no ${INSTALLED_META_FILE}: half-installed`))) as PkgMeta;
      for (const f of meta.files) assert.equal((await stat(join(path, f.path))).size, f.size, `${name}/${entry}/${f.path} is cut short`);
    }
  }
}

/** Exactly one live process per running app, and each is one the node-daemon records (same marker). */
async function assertNoOrphans(running: string[]): Promise<void> {
  const procs = await waitFor(`one recorded process per app (${running.join(', ')})`, async () => {
    const ps = appProcessesOf(dir.path);
    const byApp = new Map<string, number>();
    for (const p of ps) byApp.set(p.appId, (byApp.get(p.appId) ?? 0) + 1);
    return running.every((a) => byApp.get(a) === 1) && ps.length === running.length ? ps : undefined;
  }, 30_000, 200);
  const records = new Set<string>();
  for (const { record } of await listPidRecords(dataPaths(dir.path).run)) if (record) records.add(`${record.pid}:${record.marker}`);
  for (const p of procs) assert.ok(records.has(`${p.pid}:${p.marker}`), `app process ${p.pid} (${p.appId}) is not one the node-daemon records: an orphan`);
}

test('power cut at a random point of an install: the install completes after the restart, whole, with one process', async () => {
  const { task_id: taskId } = await apps().install({ name: 'keeper', version: '1.0.0' });
  const delay = fault.between(0, 4000);
  console.log(`# install: power cut ${delay} ms after the install was acknowledged`);
  await sleep(delay);
  const atCut = await record('keeper').catch(() => null);
  await cutAndRestart('install');
  const t = await finished(taskId);
  assert.equal(t.outcome, 'succeeded', `${JSON.stringify(t)} (cut during ${atCut?.task.step ?? '?'})`);
  assert.equal((await health('keeper')).version, '1.0.0');
  assert.equal((await record('keeper'))?.state, 'running');
  await assertPkgEnvWhole();
  await assertNoOrphans(['keeper']);
});

test('power cut at a random point of an upgrade with a data snapshot: it completes or rolls back, and the data matches the version', async () => {
  const precious = { notes: 'precious', at: Date.now() };
  await waitFor('the data write acknowledged', async () => {
    const res = await fetch(`${zone}/apps/keeper/data`, { method: 'POST', body: JSON.stringify(precious) });
    return res.ok ? true : undefined;
  });
  const { task_id: taskId } = await apps().upgrade({ installation_id: 'keeper', version: '2.0.0', health_timeout_s: 60 });
  const delay = fault.between(0, 6000);
  console.log(`# upgrade: power cut ${delay} ms after the upgrade was acknowledged`);
  await sleep(delay);
  const atCut = await record('keeper').catch(() => null);
  await cutAndRestart('upgrade');
  const t = await finished(taskId);
  const cutAt = `cut during ${atCut?.task.step ?? '?'}`;
  assert.ok(t.outcome === 'succeeded' || t.outcome === 'rolled-back', `${JSON.stringify(t)} (${cutAt})`);
  const r = await record('keeper');
  const running = await health('keeper');
  assert.equal(running.version, r?.version, `the record says ${r?.version}, the app runs ${running.version} (${cutAt})`);
  const data = JSON.parse(await (await fetch(`${zone}/apps/keeper/`)).text()) as Record<string, unknown>;
  assert.equal(data.notes, 'precious', `acknowledged data lost (${cutAt}): ${JSON.stringify(data)}`);
  assert.equal(data.at, precious.at);
  if (r?.version === '2.0.0') assert.equal(data.migrated_by, '2.0.0', `2.0.0 runs on data it never migrated (${cutAt})`);
  else assert.equal(data.migrated_by, undefined, `1.0.0 runs on 2.0.0's migrated data: the snapshot was not restored (${cutAt})`);
  await assertPkgEnvWhole();
  await assertNoOrphans(['keeper']);
});

test('power cut at a random point of a repo upload: the pkg is there whole or not at all, and publishing again works', async () => {
  const size = (await stat(bulkyPkg)).size;
  // A point in the upload (a share of the bytes sent) or in the import after it (ms after the last byte).
  const share = fault.random() * 1.3;
  console.log(`# upload: power cut at ${share < 1 ? `${Math.round(share * 100)}% of the ${size} bytes sent` : `${Math.round((share - 1) * 3000)} ms into the import`}`);
  let cut: Promise<void> | undefined;
  const doCut = () => (cut ??= cutAndRestart('upload'));
  let acknowledged = false;
  const upload = publishPkg({
    file: bulkyPkg, zone, sessionToken: session.sessionToken,
    onProgress: (p) => {
      if (share < 1 && p.phase === 'upload' && p.bytes >= share * size) void doCut();
      if (share >= 1 && p.phase === 'import' && p.bytes === size) setTimeout(() => void doCut(), Math.round((share - 1) * 3000));
    },
  }).then(() => { acknowledged = true; }, (e: unknown) => `refused: ${String(e)}`);
  const outcome = await upload;
  await doCut();
  const repo = new RepoClient(zone, session.sessionToken);
  const versions = await repo.versions('bulky').catch(() => []);
  console.log(`# upload: acknowledged=${acknowledged}${typeof outcome === 'string' ? ` (${outcome.slice(0, 120)})` : ''}; after the restart the repo lists ${JSON.stringify(versions.map((v) => v.version))}`);
  if (acknowledged) assert.equal(versions.length, 1, 'an acknowledged upload is gone after the power cut');
  assert.deepEqual(await readdir(join(dataPaths(dir.path).repo, 'tmp')), [], 'upload temp files left behind');
  // Whatever the repo lists must be installable whole; publishing again is always fine.
  await publishPkg({ file: bulkyPkg, zone, sessionToken: session.sessionToken });
  const t = await finished((await apps().install({ name: 'bulky' })).task_id);
  assert.equal(t.outcome, 'succeeded', JSON.stringify(t));
  assert.equal((await health('bulky')).version, '1.0.0');
  await assertPkgEnvWhole();
  await assertNoOrphans(['keeper', 'bulky']);
});
