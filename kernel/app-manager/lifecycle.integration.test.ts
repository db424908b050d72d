// The app lifecycle on a real OOD child process, driven through the CLI as the acceptance script does:
// build + publish + install (the app answers through the gateway), bad input refused with nothing
// written, upgrade 1.0.0 → 1.1.0 (data kept, only the changed chunks moved), manual rollback (data
// taken before the upgrade restored), upgrade to the broken 1.2.0 (rolled back by itself, data intact,
// rollback recorded), uninstall (process stopped, spec and record gone).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { activatedOod, cli, pollUntil, repoRoot, tempDir } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { isKrpcError } from '../lib/errors.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { buildPkg, type PkgMeta } from '../pkg/index.js';
import { uniqueChunks } from '../pkg/format.js';
import { AppManagerClient } from './client.js';
import type { InstallRecord } from './types.js';

const work = await tempDir('buckyos-apps-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const emptyPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(emptyPkgs);
// No dev folder of apps: every package must come from the zone's repo.
const { ood, env, dir } = await activatedOod({ args: ['--pkgs', emptyPkgs], env: { BUCKYOS_REPORT_INTERVAL_MS: '1000' } });
after(async () => {
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), work.remove()]);
});

const zone = env.BUCKYOS_ZONE;
const session = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
const kv = session.client('system_config');
const apps = new AppManagerClient(`${zone}/kapi/app_manager`, session.sessionToken);
const get = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;
const record = async (id = 'notes') => JSON.parse((await get(`users/alice/apps/${id}/install_record`)) ?? 'null') as InstallRecord | null;
const app = (path: string, init?: RequestInit) => fetch(`${zone}/apps/notes${path}`, { ...init, signal: AbortSignal.timeout(5000) });
const health = async () => (await (await app('/health')).json()) as { ok: boolean; app: string; version: string };
const noteTitles = async () => ((await (await app('/api/notes')).json()) as { notes: { title: string }[] }).notes.map((n) => n.title).sort();
const addNote = async (title: string) => assert.equal((await app('/api/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title, body: '' }) })).status, 201);
const logs = () => ood.log().slice(-3000);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) => pollUntil(what, probe, { timeoutMs, context: logs });
/** The gateway follows the scheduler's routes, which may trail the task's end by a pass. */
const answering = (version: string) => waitFor(`notes ${version} through the gateway`, async () => {
  const h = await health();
  return h.version === version ? h : undefined;
}, 5000);

const notes = join(repoRoot, 'pkgs/notes');
const metas: Record<string, PkgMeta> = {};
const pkgFile = (v: string) => join(work.path, `notes-${v}.pkg`);
for (const v of ['1.1.0', '1.2.0']) metas[v] = (await buildPkg(notes, { release: v, out: pkgFile(v) })).meta;

test('acceptance: pkg build, pkg publish and app install; the app runs and answers through the gateway', async () => {
  const built = await cli(['pkg', 'build', notes, '--out', pkgFile('1.0.0')], env);
  assert.equal(built.code, 0, built.stderr);
  assert.match(built.stdout, /built notes 1\.0\.0: .*notes-1\.0\.0\.pkg\n .* chunks/);
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
    const published = await cli(['pkg', 'publish', pkgFile(v), '--zone', zone], env);
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, new RegExp(`notes ${v.replace(/\./g, '\\.')} published`));
  }
  metas['1.0.0'] = (await buildPkg(notes, { out: join(work.path, 'again.pkg') })).meta;

  const installed = await cli(['app', 'install', 'notes', '--version', '1.0.0'], env);
  assert.equal(installed.code, 0, installed.stderr + logs());
  assert.match(installed.stdout, /^notes 1\.0\.0 running on ood1/);
  assert.match(installed.stderr, /notes {2}done/, 'the progress of the task is shown');

  const listed = await cli(['app', 'list'], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^notes +1\.0\.0 +ood1 +running$/m);
  assert.deepEqual(await answering('1.0.0'), { ok: true, app: 'notes', version: '1.0.0' });

  const r = await record();
  assert.equal(r?.state, 'running');
  assert.equal(r?.task.outcome, 'succeeded');
  assert.equal(r?.task.bytes, metas['1.0.0'].size, 'a first install moves the whole package');
  const spec = JSON.parse((await get('users/alice/apps/notes/spec'))!);
  assert.equal(spec.app_doc.pkg_list.script.pkg_id, 'notes#1.0.0');
  assert.equal(spec.app_index, r?.app_index);
});

test('bad input is refused with a plain error and writes nothing', async () => {
  const keys = async () => {
    const out: Record<string, string | undefined> = {};
    for (const id of await kv.call<string[]>('sys_config_list', { key: 'users/alice/apps' }))
      for (const k of ['spec', 'install_record']) out[`${id}/${k}`] = await get(`users/alice/apps/${id}/${k}`);
    out.seq = await get('system/app_installer/app_index_seq');
    return out;
  };
  const before = await keys();
  const refused = async (p: Promise<unknown>, code: string, text: RegExp) =>
    assert.rejects(p, (e: unknown) => isKrpcError(e) && e.code === code && text.test(e.message));

  await refused(apps.install({ name: 'nosuchapp' }), 'NOT_FOUND', /no package "nosuchapp" in the zone's repo; publish it/);
  await refused(apps.install({ name: 'notes', version: '9.9.9', installation_id: 'notes2' }), 'NOT_FOUND', /no version 9\.9\.9 .* published versions: 1\.0\.0, 1\.1\.0, 1\.2\.0/);
  await refused(apps.install({ name: '../etc' }), 'INVALID_PARAMS', /params\.name/);
  await refused(apps.install({ name: 'notes', installation_id: 'a/../b' }), 'INVALID_PARAMS', /installation_id/);
  await refused(apps.install({ name: 'notes' }), 'ALREADY_EXISTS', /notes is already installed/);
  await refused(apps.install({ name: 'notes', installation_id: 'notes2', node: 'nosuchnode' }), 'NOT_FOUND', /no node "nosuchnode"/);
  await refused(apps.upgrade({ installation_id: 'nosuchapp' }), 'NOT_FOUND', /alice has no app "nosuchapp"/);
  await refused(apps.upgrade({ installation_id: 'notes', version: '7.0.0' }), 'NOT_FOUND', /no version 7\.0\.0/);
  await refused(apps.upgrade({ installation_id: 'notes', version: '1.0.0' }), 'FAILED_PRECONDITION', /already runs notes 1\.0\.0/);
  await refused(apps.rollback({ installation_id: 'notes' }), 'FAILED_PRECONDITION', /no earlier version .* never upgraded/);
  await refused(apps.uninstall({ name: 'nosuchapp' }), 'NOT_FOUND', /no app/);
  await refused(apps.upgrade({ installation_id: 'notes', health_timeout_s: 10 ** 9 }), 'INVALID_PARAMS', /health_timeout_s/);
  await refused(apps.task('x'.repeat(500)), 'INVALID_PARAMS', /task_id/);

  const raw = new KrpcClient(`${zone}/kapi/app_manager`);
  await refused(raw.call('list_apps', {}), 'UNAUTHENTICATED', /session token/);
  await refused(raw.withToken('not.a.token').call('list_apps', {}), 'UNAUTHENTICATED', /./);
  const [h, p] = session.sessionToken.split('.');
  await refused(raw.withToken(`${h}.${p}.${'A'.repeat(86)}`).call('install_app', { name: 'notes', installation_id: 'forged' }), 'UNAUTHENTICATED', /./);
  await refused(raw.withToken(session.sessionToken).call('install_app', { name: 'notes', sneaky: true }), 'INVALID_PARAMS', /additional/);

  const pathy = await cli(['app', 'install', '../../etc/passwd'], env);
  assert.notEqual(pathy.code, 0);
  assert.match(pathy.stderr, /^error: INVALID_PARAMS: /);
  const unknown = await cli(['app', 'upgrade', 'nosuchapp'], env);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /NOT_FOUND: alice has no app "nosuchapp" installed/);

  assert.deepEqual(await keys(), before);
});

test('upgrade 1.0.0 → 1.1.0 keeps the data and moves only the chunks that changed', async () => {
  await addNote('written on 1.0.0');
  const up = await cli(['app', 'upgrade', 'notes', '--version', '1.1.0'], env);
  assert.equal(up.code, 0, up.stderr + logs());
  assert.match(up.stdout, /^notes 1\.1\.0 running on ood1 \(.* of .* transferred\)/);
  await answering('1.1.0');
  assert.deepEqual(await noteTitles(), ['written on 1.0.0']);

  const old = uniqueChunks(metas['1.0.0']);
  const expected = [...uniqueChunks(metas['1.1.0'])].filter(([sha]) => !old.has(sha)).reduce((n, [, len]) => n + len, 0);
  const r = await record();
  assert.ok(expected > 0 && expected < metas['1.1.0'].size);
  assert.equal(r?.task.bytes, expected, 'exactly the chunks 1.0.0 lacks were transferred');
  assert.equal(r?.task.total, metas['1.1.0'].size);
  assert.equal(r?.previous_version, '1.0.0');
  assert.equal(r?.state, 'running');
});

test('a manual rollback returns to 1.0.0 with the data taken just before the upgrade', async () => {
  await addNote('written on 1.1.0');
  const back = await cli(['app', 'rollback', 'notes'], env);
  assert.equal(back.code, 0, back.stderr + logs());
  await answering('1.0.0');
  assert.deepEqual(await noteTitles(), ['written on 1.0.0'], 'the snapshot from before the upgrade is back');
  const r = await record();
  assert.equal(r?.state, 'rolled-back');
  assert.deepEqual({ ...r?.last_rollback, at: 0, task_id: '', reason: '' }, { from: '1.1.0', to: '1.0.0', at: 0, task_id: '', reason: '', automatic: false, data_restored: true });
  assert.equal(r?.previous_version, undefined);
  assert.match((await cli(['app', 'list'], env)).stdout, /^notes +1\.0\.0 +ood1 +rolled-back +from 1\.1\.0/m);

  const again = await cli(['app', 'upgrade', 'notes', '--version', '1.1.0'], env);
  assert.equal(again.code, 0, again.stderr + logs());
  assert.equal((await record())?.task.bytes, 0, 'the node still holds every chunk of 1.1.0');
});

test('an upgrade to the broken 1.2.0 is rolled back to 1.1.0 by itself, data intact, rollback recorded', async () => {
  await addNote('written before 1.2.0');
  const up = await cli(['app', 'upgrade', 'notes'], env);
  assert.notEqual(up.code, 0, 'an upgrade that had to be rolled back fails');
  assert.match(up.stderr, /the upgrade of notes to 1\.2\.0 failed \(.*exited \(code 1\).*\); it was rolled back to 1\.1\.0 and its data restored/);
  // Rolled back for the crash, not after the health timeout ran out; how long it takes is bench/recovery.ts's.
  assert.doesNotMatch(up.stderr, /in time/);

  await answering('1.1.0');
  assert.deepEqual(await noteTitles(), ['written before 1.2.0', 'written on 1.0.0']);
  const r = await record();
  assert.equal(r?.version, '1.1.0');
  assert.equal(r?.state, 'rolled-back');
  assert.equal(r?.task.outcome, 'rolled-back');
  assert.equal(r?.last_rollback?.from, '1.2.0');
  assert.equal(r?.last_rollback?.to, '1.1.0');
  assert.equal(r?.last_rollback?.automatic, true);
  assert.equal(r?.last_rollback?.data_restored, true);
  assert.match(r?.last_rollback?.reason ?? '', /exited \(code 1\) before it reported its port/);
  const spec = JSON.parse((await get('users/alice/apps/notes/spec'))!);
  assert.equal(spec.app_doc.pkg_list.script.pkg_id, 'notes#1.1.0');

  const listed = await cli(['app', 'list'], env);
  assert.match(listed.stdout, /^notes +1\.1\.0 +ood1 +rolled-back +from 1\.2\.0: .*exited/m);
  const [entry] = await apps.list();
  assert.equal(entry.last_rollback?.task_id, r?.task.id);
});

test('uninstall stops the process and removes the spec and the install record', async () => {
  const report = JSON.parse((await get('services/notes@alice/instances/ood1'))!) as { pid: number };
  assert.ok(report.pid > 0);
  const gone = await cli(['app', 'uninstall', 'notes'], env);
  assert.equal(gone.code, 0, gone.stderr + logs());
  assert.match(gone.stdout, /^notes uninstalled$/m);
  assert.throws(() => process.kill(report.pid, 0), /ESRCH/, 'the app process is gone');
  assert.equal(await get('users/alice/apps/notes/spec'), undefined);
  assert.equal(await get('users/alice/apps/notes/install_record'), undefined);
  assert.doesNotMatch((await cli(['app', 'list'], env)).stdout, /notes/);
  await waitFor('the gateway to drop the route', async () => ((await app('/health')).status === 404 ? true : undefined));
});
