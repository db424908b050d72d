// Installing on a second node: an OOD and an enrolled headless node on two loopback addresses, neither
// with a dev folder of apps. `app install filedrop --node nas1` runs the app on the node, which fetched
// the package from the zone's repo through the OOD's gateway, and the OOD's gateway reaches it; an
// upgrade there moves only the changed chunks to the node.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, cli, pollUntil, randomLoopback, repoRoot, spawnNode, tempDir, waitForPort } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { buildPkg } from '../pkg/index.js';
import { uniqueChunks } from '../pkg/format.js';
import { publishPkg } from '../repo-server/publish.js';
import type { InstallRecord } from './types.js';

const work = await tempDir('buckyos-2node-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const noDevPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(noDevPkgs);
const TUNING = { BUCKYOS_REPORT_INTERVAL_MS: '1000' };
const { ood, env, mnemonic, dir } = await activatedOod({ args: ['--pkgs', noDevPkgs], env: TUNING });
const nodeDir = await tempDir('buckyos-nas-');
const nodeHost = randomLoopback();
let node: ReturnType<typeof spawnNode> | undefined;
after(async () => {
  await node?.kill('SIGTERM');
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), nodeDir.remove(), work.remove()]);
});

const zone = env.BUCKYOS_ZONE;
const session = await login({ zone, user: 'alice', password: env.BUCKYOS_PASSWORD });
const kv = session.client('system_config');
const get = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;
const logs = () => `--- OOD ---\n${ood.log().slice(-2000)}\n--- node ---\n${node?.log().slice(-2000)}`;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) => pollUntil(what, probe, { timeoutMs, context: logs });

const filedrop = join(repoRoot, 'pkgs/filedrop');
const v1 = await buildPkg(filedrop, { out: join(work.path, 'filedrop-1.0.0.pkg') });
const v11 = await buildPkg(filedrop, { release: '1.1.0', out: join(work.path, 'filedrop-1.1.0.pkg') });
for (const b of [v1, v11]) await publishPkg({ file: b.file, zone, sessionToken: session.sessionToken });

test('an app installed with --node runs on that node, from the zone repo, and answers through the OOD gateway', async () => {
  const enrolled = await cli(['enroll', '--zone', zone, '--name', 'nas1', '--device-data', nodeDir.path, '--mnemonic', mnemonic]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  node = spawnNode(nodeDir.path, nodeHost, ['--pkgs', noDevPkgs], TUNING);
  await waitForPort(nodeHost, 3180);
  await waitFor('nas1 ready for placement', async () => {
    const snap = JSON.parse((await get('system/scheduler/snapshot')) ?? '{}') as { nodes?: Record<string, { status: string }> };
    return snap.nodes?.nas1?.status === 'ready' ? true : undefined;
  });

  const installed = await cli(['app', 'install', 'filedrop', '--node', 'nas1', '--version', '1.0.0'], env);
  assert.equal(installed.code, 0, installed.stderr + logs());
  assert.match(installed.stdout, /^filedrop 1\.0\.0 running on nas1/);
  assert.match((await cli(['app', 'list'], env)).stdout, /^filedrop +1\.0\.0 +nas1 +running$/m);
  assert.equal(await get('services/filedrop@alice/instances/ood1'), undefined, 'nothing runs on the OOD');
  await stat(join(nodeDir.path, 'pkgs/filedrop/1.0.0/server.mjs'));

  const health = await waitFor('filedrop through the OOD gateway', async () => {
    const res = await fetch(`${zone}/apps/filedrop/health`, { signal: AbortSignal.timeout(5000) });
    return res.ok ? ((await res.json()) as { version: string }) : undefined;
  });
  assert.equal(health.version, '1.0.0');
});

test('an upgrade on the node moves only the chunks the node lacks and keeps the app there', async () => {
  const up = await cli(['app', 'upgrade', 'filedrop', '--version', '1.1.0'], env);
  assert.equal(up.code, 0, up.stderr + logs());
  assert.match(up.stdout, /^filedrop 1\.1\.0 running on nas1/);
  const old = uniqueChunks(v1.meta);
  const expected = [...uniqueChunks(v11.meta)].filter(([sha]) => !old.has(sha)).reduce((n, [, len]) => n + len, 0);
  const r = JSON.parse((await get('users/alice/apps/filedrop/install_record'))!) as InstallRecord;
  assert.ok(expected > 0 && expected < v11.meta.size);
  assert.equal(r.task.bytes, expected);
  await stat(join(nodeDir.path, 'pkgs/filedrop/1.1.0/server.mjs'));
});
