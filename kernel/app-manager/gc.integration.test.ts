// `buckyos pkg gc` on a real OOD: the repo keeps what installed apps use (and each pkg's newest),
// frees the rest, and an installed app keeps running from its kept version.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { activatedOod, cli, repoRoot, tempDir } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { RepoClient } from '../repo-server/client.js';
import { buildPkg } from '../pkg/index.js';

const work = await tempDir('buckyos-gc-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const emptyPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(emptyPkgs);
const { ood, env, dir } = await activatedOod({ args: ['--pkgs', emptyPkgs], env: { BUCKYOS_REPORT_INTERVAL_MS: '1000' } });
after(async () => {
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), work.remove()]);
});

test('pkg gc keeps the installed version and the newest, and frees the versions nothing uses', async () => {
  const notes = join(repoRoot, 'pkgs/notes');
  for (const release of [undefined, '1.1.0', '1.2.0']) {
    const file = join(work.path, `notes-${release ?? '1.0.0'}.pkg`);
    await buildPkg(notes, { release, out: file });
    const published = await cli(['pkg', 'publish', file, '--zone', env.BUCKYOS_ZONE], env);
    assert.equal(published.code, 0, published.stderr);
  }
  const installed = await cli(['app', 'install', 'notes', '--version', '1.0.0'], env);
  assert.equal(installed.code, 0, installed.stderr + ood.log().slice(-2000));

  const gc = await cli(['pkg', 'gc'], env);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, /versions no longer ready: notes#1\.1\.0\b/);
  assert.match(gc.stdout, /kept for installed apps: notes 1\.0\.0/);

  const session = await login({ zone: env.BUCKYOS_ZONE, user: 'alice', password: env.BUCKYOS_PASSWORD });
  const repo = new RepoClient(`${env.BUCKYOS_ZONE}/kapi/repo`, session.sessionToken);
  const ready = Object.fromEntries((await repo.versions('notes')).map((v) => [v.version, v.ready]));
  assert.deepEqual(ready, { '1.0.0': true, '1.1.0': false, '1.2.0': true });
  const health = await (await fetch(`${env.BUCKYOS_ZONE}/apps/notes/health`)).json() as { version: string };
  assert.equal(health.version, '1.0.0');

  const upgrade = await cli(['app', 'upgrade', 'notes', '--version', '1.1.0'], env);
  assert.notEqual(upgrade.code, 0, 'an upgrade to a collected version must not pretend to work');
});
