// An upgrade whose new version rewrites the app's data and then fails its health check, with the OOD
// killed (-9) in the middle of the health check: after the restart the pipeline resumes from KV, rolls
// back by itself and puts back the data snapshot taken before the switch; the data the failed version
// wrote is kept aside, not lost.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, pollUntil, spawnOod, tempDir, waitForPort, type NodeProcess } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { buildPkg } from '../pkg/index.js';
import { publishPkg } from '../repo-server/publish.js';
import { AppManagerClient, type TaskView } from './client.js';
import type { InstallRecord } from './types.js';

const work = await tempDir('buckyos-resume-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const noDevPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(noDevPkgs);
// Health probes 2 s apart: the new version fails its check on the second probe, which leaves time to
// kill the OOD while the check is under way.
const OOD_ARGS = ['--pkgs', noDevPkgs];
const OOD_ENV = { BUCKYOS_REPORT_INTERVAL_MS: '2000' };
const first = await activatedOod({ args: OOD_ARGS, env: OOD_ENV });
let ood: NodeProcess = first.ood;
const { env, dir } = first;
after(async () => {
  // SIGTERM: the OOD stops the apps it started (a SIGKILL would leave them running).
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), work.remove()]);
});

// A fixture app whose 2.0.0 "migrates" the data at start-up, then answers its health check with 500.
const src = join(work.path, 'migrator');
await mkdir(join(src, 'releases/2.0.0'), { recursive: true });
await writeFile(join(src, 'pkg.json'), JSON.stringify({
  name: 'migrator', version: '1.0.0', description: 'test fixture', deps: {}, start: { cmd: ['node', 'server.mjs'] },
  health: { path: '/health' }, exposes: { www: { protocol: 'http' } }, install: { data_mounts: [], bind: '127.0.0.1' },
  min_resources: { memory_mb: 32 }, platform: 'any',
}));
await writeFile(join(src, 'releases/2.0.0/pkg.patch.json'), '{}');
await writeFile(join(src, 'server.mjs'), `
import { createServer } from 'node:http';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
const version = JSON.parse(readFileSync(new URL('./pkg.json', import.meta.url), 'utf8')).version;
const file = join(process.env.BUCKYOS_DATA_DIR, 'data.json');
if (version.startsWith('2.')) writeFileSync(file, JSON.stringify({ migrated_by: version }));
const server = createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(version.startsWith('2.') ? 500 : 200); return res.end(JSON.stringify({ version })); }
  if (req.method === 'POST') { let b = ''; req.on('data', (d) => (b += d)); req.on('end', () => { writeFileSync(file, b); res.end('ok'); }); return; }
  res.end('hello');
});
const tryPort = (p) => server.once('error', () => tryPort(p + 1)).listen(p, process.env.BUCKYOS_BIND, () => {
  writeFileSync(process.env.BUCKYOS_PORT_FILE + '.tmp', String(p));
  renameSync(process.env.BUCKYOS_PORT_FILE + '.tmp', process.env.BUCKYOS_PORT_FILE);
});
tryPort(Number(process.env.BUCKYOS_SERVICE_PORT));
process.on('SIGTERM', () => process.exit(0));
`);

const zone = env.BUCKYOS_ZONE;
const session = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
const apps = new AppManagerClient(`${zone}/kapi/app_manager`, session.sessionToken);
const kv = session.client('system_config');
const record = async () => JSON.parse((await kv.call<{ value: string } | null>('sys_config_get', { key: 'users/alice/apps/migrator/install_record' }))?.value ?? 'null') as InstallRecord | null;
const dataFile = join(dir.path, 'data/alice/migrator/data.json');
const logs = () => ood.log().slice(-3000);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 25_000, everyMs = 100) => pollUntil(what, probe, { timeoutMs, everyMs, context: logs });
const finished = (taskId: string) => waitFor(`task ${taskId} to finish`, async () => {
  const t: TaskView = await apps.task(taskId);
  return t.done ? t : undefined;
});

for (const release of [undefined, '2.0.0']) {
  const built = await buildPkg(src, { release, out: join(work.path, `migrator-${release ?? '1.0.0'}.pkg`) });
  await publishPkg({ file: built.file, zone, sessionToken: session.sessionToken });
}
// The same app asking for more memory than any node has.
const hog = join(work.path, 'hog');
await mkdir(hog);
await writeFile(join(hog, 'server.mjs'), await readFile(join(src, 'server.mjs')));
await writeFile(join(hog, 'pkg.json'), JSON.stringify({ ...JSON.parse(await readFile(join(src, 'pkg.json'), 'utf8')), name: 'hog', min_resources: { memory_mb: 1_048_576 } }));
await publishPkg({ file: (await buildPkg(hog, { out: join(work.path, 'hog.pkg') })).file, zone, sessionToken: session.sessionToken });

test('an OOD killed during the health check of an upgrade resumes it after restart, rolls back and restores the data', async () => {
  const installed = await finished((await apps.install({ name: 'migrator', version: '1.0.0' })).task_id);
  assert.equal(installed.outcome, 'succeeded', JSON.stringify(installed));
  const precious = JSON.stringify({ v: 1, notes: 'precious' });
  assert.equal((await fetch(`${zone}/apps/migrator/data`, { method: 'POST', body: precious })).status, 200);
  assert.equal(await readFile(dataFile, 'utf8'), precious);

  const { task_id: taskId } = await apps.upgrade({ installation_id: 'migrator', version: '2.0.0', health_timeout_s: 120 });
  // 2.0.0 ran (it rewrote the data) and its health check is under way: kill the whole OOD now.
  const atKill = await waitFor('2.0.0 running its health check', async () => {
    const r = await record();
    const migrated = (await readFile(dataFile, 'utf8').catch(() => '')).includes('migrated_by');
    return r?.task.id === taskId && r.task.step === 'converge' && migrated ? r : undefined;
  }, 25_000, 20);
  await ood.kill('SIGKILL');
  assert.equal(atKill.state, 'upgrading');

  ood = spawnOod(dir.path, first.ood.host, OOD_ARGS, OOD_ENV);
  await waitForPort(first.ood.host, 3180);
  const t = await finished(taskId);
  assert.equal(t.outcome, 'rolled-back', JSON.stringify(t));
  assert.match(t.reason ?? '', /health check failed twice/);

  assert.equal(await readFile(dataFile, 'utf8'), precious, 'the snapshot from before the upgrade is back');
  const r = await record();
  assert.equal(r?.version, '1.0.0');
  assert.equal(r?.state, 'rolled-back');
  assert.deepEqual({ ...r?.last_rollback, at: 0, reason: '' }, { from: '2.0.0', to: '1.0.0', at: 0, reason: '', automatic: true, task_id: taskId, data_restored: true });
  const health = await waitFor('1.0.0 through the gateway', async () => {
    const res = await fetch(`${zone}/apps/migrator/health`);
    return res.ok ? ((await res.json()) as { version: string }) : undefined;
  });
  assert.equal(health.version, '1.0.0');

  // What 2.0.0 wrote is kept beside the snapshots, not thrown away.
  const snapshots = join(dir.path, 'snapshots/alice/migrator');
  const replaced = (await readdir(snapshots)).filter((n) => n.endsWith('.replaced'));
  assert.equal(replaced.length, 1);
  assert.match(await readFile(join(snapshots, replaced[0], 'data.json'), 'utf8'), /migrated_by/);
  assert.equal(await readFile(join(snapshots, taskId, 'data.json'), 'utf8'), precious);
});

test("an app no node can run waits with the scheduler's reason, and an uninstall cuts the wait short", async () => {
  const { task_id: taskId } = await apps.install({ name: 'hog' });
  const waiting = await waitFor("the scheduler's reason in the task", async () => {
    const t = await apps.task(taskId);
    return t.waiting_for ? t : undefined;
  });
  assert.equal(waiting.phase, 'scheduling');
  assert.match(waiting.waiting_for!, /no node can run it yet \(.*insufficient-memory/);
  assert.equal((await apps.list()).find((a) => a.installation_id === 'hog')?.state, 'installing');

  const removed = await finished((await apps.uninstall({ installation_id: 'hog' })).task_id);
  assert.equal(removed.outcome, 'succeeded');
  assert.equal((await kv.call('sys_config_get', { key: 'users/alice/apps/hog/install_record' })), null);
  assert.equal((await kv.call('sys_config_get', { key: 'users/alice/apps/hog/spec' })), null);
});
