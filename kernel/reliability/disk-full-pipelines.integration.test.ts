// Issue 14, disk full for the pipelines that write the most: a repo upload and an app install, on a real
// OOD whose data folder sits on a small tmpfs (root mounts one; elsewhere the test says loudly that it
// could not run). Each runs out of room, rolls back (nothing half-stored, nothing half-installed, no temp
// file left) and says so with RESOURCE_EXHAUSTED; once there is room again the same action just works.
// Before it comes to that, the zone overview (what Home's disk check reads) already shows the disk as
// nearly full.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, appProcessesOf, pollUntil, stopWithApps, tempDir, type NodeProcess } from '../testing/harness.js';
import { isKrpcError } from '../lib/errors.js';
import { login } from '../cli/session.js';
import { buildPkg } from '../pkg/index.js';
import { publishPkg } from '../repo-server/publish.js';
import { RepoClient } from '../repo-server/client.js';
import { AppManagerClient, type TaskView } from '../app-manager/client.js';
import { dataPaths } from '../lib/paths.js';
import type { ZoneOverview } from '../api/control-panel.js';

const MiB = 1024 * 1024;
const mounts: string[] = [];
const dirs: Array<{ remove(): Promise<void> }> = [];
let ood: NodeProcess | undefined;
let debugDataDir: string | undefined;
after(async () => {
  if (process.env.REL2_DEBUG && ood) await writeFile(`/tmp/rel2-ood-${process.pid}.log`, ood.log() + '\n----\n' + await readFile(join(debugDataDir!, 'logs', 'kernel.log'), 'utf8').catch(String));
  if (ood) await stopWithApps(ood);
  for (const m of mounts) try { execFileSync('umount', [m]); } catch { /* already gone */ }
  await Promise.all(dirs.map((d) => d.remove()));
});

const work = await tempDir('buckyos-fullpipe-');
dirs.push(work);
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const noDevPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(noDevPkgs);

/** A tmpfs of `mib` MiB, or the reason there cannot be one here. */
async function smallDisk(mib: number): Promise<string | { cannot: string }> {
  const dir = await tempDir('buckyos-full-');
  dirs.push(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir.path], { stdio: 'pipe' });
  } catch (e) {
    return { cannot: `could not mount a ${mib} MiB tmpfs (needs root and mount rights): ${(e as Error).message.split('\n')[0]}` };
  }
  mounts.push(dir.path);
  return dir.path;
}
const freeBytes = (dir: string) => Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n')[1]);
/** Fills the disk under `dir` with one file until about `leaveBytes` are free. */
const fill = (dir: string, leaveBytes: number) => writeFile(join(dir, 'filler'), Buffer.alloc(Math.max(0, freeBytes(dir) - leaveBytes), 1));

// An app of 24 MiB that does not compress.
const src = join(work.path, 'big');
await mkdir(src);
await writeFile(join(src, 'pkg.json'), JSON.stringify({
  name: 'big', version: '1.0.0', description: 'test fixture', deps: {}, start: { cmd: ['node', 'server.mjs'] },
  health: { path: '/' }, exposes: { www: { protocol: 'http' } }, install: { data_mounts: [], bind: '127.0.0.1' }, min_resources: { memory_mb: 32 }, platform: 'any',
}));
await writeFile(join(src, 'server.mjs'), `
import { createServer } from 'node:http';
import { writeFileSync, renameSync } from 'node:fs';
const server = createServer((req, res) => res.end('big'));
server.listen(Number(process.env.BUCKYOS_SERVICE_PORT), process.env.BUCKYOS_BIND, () => {
  writeFileSync(process.env.BUCKYOS_PORT_FILE + '.tmp', String(server.address().port));
  renameSync(process.env.BUCKYOS_PORT_FILE + '.tmp', process.env.BUCKYOS_PORT_FILE);
});
process.on('SIGTERM', () => process.exit(0));
`);
await writeFile(join(src, 'blob.bin'), randomBytes(24 * MiB));
const bigPkg = (await buildPkg(src, { out: join(work.path, 'big.pkg') })).file;

test('a repo upload and an app install that run out of disk roll back, say RESOURCE_EXHAUSTED, and work once there is room; the overview shows the disk nearly full first', async (t) => {
  const disk = await smallDisk(160);
  if (typeof disk !== 'string') return t.skip(`LOUD SKIP: ${disk.cannot}`);
  const dataDir = join(disk, 'data');
  debugDataDir = dataDir;
  const started = await activatedOod({ dataDir, args: ['--pkgs', noDevPkgs], env: { BUCKYOS_REPORT_INTERVAL_MS: '1000' } });
  ood = started.ood;
  const { env } = started;
  const zone = env.BUCKYOS_ZONE;
  const logs = () => ood!.log().slice(-3000);
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => pollUntil(what, probe, { timeoutMs, everyMs: 250, context: logs });
  const session = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
  const apps = new AppManagerClient(`${zone}/kapi/app_manager`, session.sessionToken);
  const repo = new RepoClient(zone, session.sessionToken);
  const paths = dataPaths(dataDir);
  const ownDisk = async () => (await session.client('control-panel').call<ZoneOverview>('zone.overview', {})).nodes.find((n) => n.name === 'ood1')?.disk;
  const finished = (taskId: string) => waitFor(`task ${taskId} to finish`, async () => {
    const task: TaskView = await apps.task(taskId);
    return task.done ? task : undefined;
  }, 120_000);

  // Home's disk check reads the overview: with room, it reports the tmpfs and little use.
  const roomy = await waitFor('the OOD disk in the overview', ownDisk);
  assert.equal(roomy.total, 160 * MiB);

  // --- upload: the repo runs out of room while it stores the pkg ---
  await fill(disk, 12 * MiB);
  const nearlyFull = await waitFor('the overview to show the disk nearly full', async () => {
    const d = await ownDisk();
    return d && d.total - d.used < 20 * MiB ? d : undefined;
  });
  assert.ok(nearlyFull.total - nearlyFull.used < nearlyFull.total * 0.05, `free ${nearlyFull.total - nearlyFull.used} of ${nearlyFull.total}: Home would not warn`);
  const refused = await publishPkg({ file: bigPkg, zone, sessionToken: session.sessionToken }).then(() => undefined, (e: unknown) => e);
  assert.ok(isKrpcError(refused, 'RESOURCE_EXHAUSTED'), `expected RESOURCE_EXHAUSTED for the upload, got ${String(refused)}`);
  assert.match((refused as Error).message, /disk .* is full/);
  assert.deepEqual(await repo.versions('big').catch(() => []), [], 'a refused upload left a version behind');
  assert.deepEqual(await readdir(join(paths.repo, 'tmp')), [], 'a refused upload left temp files');
  assert.ok(freeBytes(disk) >= 8 * MiB, 'the refused upload did not give its room back');

  await rm(join(disk, 'filler'));
  await publishPkg({ file: bigPkg, zone, sessionToken: session.sessionToken });
  assert.equal((await repo.versions('big'))[0]?.version, '1.0.0');

  // --- install: the pkg env runs out of room while it unpacks the pkg ---
  await fill(disk, 12 * MiB);
  const task = await finished((await apps.install({ name: 'big' })).task_id);
  assert.equal(task.outcome, 'failed', JSON.stringify(task));
  assert.match(task.error ?? task.reason ?? '', /RESOURCE_EXHAUSTED: .*disk .* is full/, JSON.stringify(task));
  assert.deepEqual(await readdir(join(paths.pkgs, '.staging')).catch(() => []), [], 'a refused install left its staging');
  assert.deepEqual(await readdir(join(paths.pkgs, 'big')).then((n) => n.filter((e) => !e.startsWith('.'))).catch(() => []), [], 'a refused install left a version behind');
  assert.deepEqual(appProcessesOf(dataDir), []);
  await pollUntil('the refused install to give its room back', async () => (freeBytes(disk) >= 8 * MiB ? true : undefined), {
    timeoutMs: 20_000, context: () => `free: ${freeBytes(disk)} bytes\n${execFileSync('du', ['-a', '-k', dataDir]).toString().split('\n').filter((l) => Number(l.split('\t')[0]) > 512).join('\n')}`,
  });

  // As for any failed install, the owner uninstalls it and installs it again once there is room.
  await rm(join(disk, 'filler'));
  assert.equal((await finished((await apps.uninstall({ installation_id: 'big' })).task_id)).outcome, 'succeeded');
  const again = await finished((await apps.install({ name: 'big' })).task_id);
  assert.equal(again.outcome, 'succeeded', JSON.stringify(again));
  assert.equal(await (await waitFor('big through the gateway', async () => {
    const res = await fetch(`${zone}/apps/big/`, { signal: AbortSignal.timeout(5000) });
    return res.ok ? res : undefined;
  })).text(), 'big');
  assert.equal(await readFile(join(paths.pkgs, 'big', 'current', 'blob.bin')).then((b) => b.length), 24 * MiB);
});
