// Two nodes on one machine, as real processes on two loopback addresses: an activated OOD and a
// headless node that the owner enrols through the CLI (join code, recovery words). The scheduler
// places apps on the node by affinity and spreads a two-instance app over both; the OOD's gateway
// reaches the node's apps; stopping the node re-places its app on the OOD within the configured
// node-gone threshold and the gateway answers again.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, cli, pollUntil, portIsOpen, randomLoopback, repoRoot, spawnNode, tempDir, waitForPort } from './testing/harness.js';
import { login } from './cli/session.js';
import { generateMnemonic } from './lib/identity/mnemonic.js';
import { dataPaths } from './lib/paths.js';
import { loadNodeIdentity } from './node-identity.js';

const GONE_AFTER_S = 5;
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: String(GONE_AFTER_S), BUCKYOS_REPORT_INTERVAL_MS: '1000' };
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const USER = 'alice';

const { ood, env, mnemonic, dir } = await activatedOod({ args: ['--pkgs', fixtures], env: TUNING });
const nodeDir = await tempDir('buckyos-node-');
const nodeHost = randomLoopback();
const node = spawnNode(nodeDir.path, nodeHost, ['--pkgs', fixtures], TUNING);
after(async () => {
  await node.kill('SIGTERM');
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), nodeDir.remove()]);
});

const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
const kv = session.client('system_config');
const get = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;
const logs = () => `--- OOD ---\n${ood.log().slice(-2500)}\n--- node ---\n${node.log().slice(-2500)}`;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000) => pollUntil(what, probe, { timeoutMs, context: logs });

interface Report { state: string; pid: number; service_ports: Record<string, number> }
const startedOn = (app: string, nodeName: string, notPid = 0) => waitFor(`${app} started on ${nodeName}`, async () => {
  const text = await get(`services/${app}@${USER}/instances/${nodeName}`);
  const r = text ? (JSON.parse(text) as Report) : undefined;
  return r?.state === 'started' && r.pid !== notPid ? r : undefined;
});
const viaGateway = async (gatewayHost: string, app: string) => {
  const res = await fetch(`http://${gatewayHost}:3180/apps/${app}/`, { signal: AbortSignal.timeout(5000) });
  return res.ok ? ((await res.json()) as { pid: number; port: number; env: Record<string, string> }) : undefined;
};
const snapshotNodes = async () => {
  const text = await get('system/scheduler/snapshot');
  return text ? (JSON.parse(text) as { nodes: Record<string, { status: string }> }).nodes : undefined;
};

const specOf = (app: string, appIndex: number, extra: Record<string, unknown> = {}) => JSON.stringify({
  installation_id: app, user_id: USER, app_class: 'UserInstalled', app_index: appIndex,
  app_doc: { name: app, version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
  enable: true, expected_instance_count: 1, state: 'new',
  spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
  ...extra,
});

const joinCode = await waitFor('the node to print its join code', async () => /Join code: (\S+)/.exec(node.log())?.[1]);
await waitForPort(nodeHost, 3182);
const enroll = (args: string[]) => cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--device', `http://${nodeHost}:3182`, '--name', 'nas1', ...args]);
const joined = () => access(join(nodeDir.path, 'etc/node_identity.json')).then(() => true, () => false);

test('enrolment refuses a wrong join code or the wrong recovery words, and changes nothing', async () => {
  const wrongCode = await enroll(['--code', 'AAAA-AAAA-AAAA', '--mnemonic', mnemonic]);
  assert.notEqual(wrongCode.code, 0);
  assert.match(wrongCode.stderr, /INTEGRITY: the device at .* has join code/);
  const wrongOwner = await enroll(['--code', joinCode, '--mnemonic', generateMnemonic()]);
  assert.notEqual(wrongOwner.code, 0);
  assert.match(wrongOwner.stderr, /PERMISSION_DENIED: these recovery words are not the owner key/);
  const roleName = await cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--device', `http://${nodeHost}:3182`, '--name', 'kernel', '--code', joinCode, '--mnemonic', mnemonic]);
  assert.notEqual(roleName.code, 0);
  assert.match(roleName.stderr, /INVALID_PARAMS: "kernel" is a role name/);
  assert.equal(await joined(), false);
  assert.equal(await portIsOpen(nodeHost, 3182), true);
  assert.equal((await snapshotNodes())?.nas1, undefined);
});

test('the owner enrols the node with its join code; it joins and the scheduler sees it ready', async () => {
  const ok = await enroll(['--code', joinCode, '--mnemonic', mnemonic]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Enrolled nas1 \(did:web:nas1\.testzone\)/);
  await waitForPort(nodeHost, 3180);
  assert.equal(await joined(), true);
  await waitFor('nas1 ready in the scheduler snapshot', async () => ((await snapshotNodes())?.nas1?.status === 'ready' ? true : undefined));
  const again = await enroll(['--code', joinCode, '--mnemonic', mnemonic]);
  assert.notEqual(again.code, 0, 'a joined node no longer accepts an enrolment');

  // The node's gateway is a zone entry too: verify-hub and system-config are reached through it.
  const viaNode = await waitFor('a login through the node gateway', () =>
    login({ zone: `http://${nodeHost}:3180`, user: USER, password: env.BUCKYOS_PASSWORD }));
  const profile = await viaNode.client('system_config').call<{ value: string } | null>('sys_config_get', { key: `users/${USER}/doc` });
  assert.ok(profile?.value);
});

test('a device on this machine is enrolled from its data folder; same key again is fine, another key under that name is not', async () => {
  const [local, impostor] = await Promise.all([tempDir('buckyos-node2-'), tempDir('buckyos-node3-')]);
  try {
    const byDir = (path: string) => cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--name', 'nas2', '--device-data', path, '--mnemonic', mnemonic]);
    const first = await byDir(local.path);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Start it with: buckyos node --data /);
    const id = await loadNodeIdentity(dataPaths(local.path));
    assert.equal(id.deviceName, 'nas2');
    assert.equal(id.deviceDoc.device_type, 'server');
    await rm(join(local.path, 'etc/node_identity.json'));
    assert.equal((await byDir(local.path)).code, 0, 're-enrolling the same device key');
    const other = await byDir(impostor.path);
    assert.notEqual(other.code, 0);
    assert.match(other.stderr, /ALREADY_EXISTS: the zone already has a device named "nas2" with another key/);
  } finally {
    await Promise.all([local.remove(), impostor.remove()]);
  }
});

let onNode: Report;

test('an app with node_affinity runs on the node, bound to its address, and the OOD gateway reaches it', async () => {
  await kv.call('sys_config_set', { key: `users/${USER}/apps/pinned/spec`, value: specOf('pinned', 21, { node_affinity: 'nas1' }) });
  onNode = await startedOn('pinned', 'nas1');
  assert.equal(await get(`services/pinned@${USER}/instances/ood1`), undefined);
  const viaOod = await waitFor('pinned through the OOD gateway', () => viaGateway(ood.host, 'pinned'));
  assert.equal(viaOod.pid, onNode.pid);
  assert.equal(viaOod.env.BUCKYOS_BIND, nodeHost);
  assert.equal((await viaGateway(nodeHost, 'pinned'))?.pid, onNode.pid);
});

test('a two-instance app is spread over both nodes', async () => {
  await kv.call('sys_config_set', { key: `users/${USER}/apps/pair/spec`, value: specOf('pair', 22, { expected_instance_count: 2 }) });
  const [a, b] = await Promise.all([startedOn('pair', 'ood1'), startedOn('pair', 'nas1')]);
  assert.notEqual(a.pid, b.pid);
  assert.ok(await waitFor('pair through the OOD gateway', () => viaGateway(ood.host, 'pair')));
});

test('stopping the node re-places its app on the OOD within the node-gone threshold, and the gateway answers again', async () => {
  // Without affinity the instance stays where it is (minimal change) until its node goes away.
  const spec = JSON.parse((await get(`users/${USER}/apps/pinned/spec`))!) as Record<string, unknown>;
  delete spec.node_affinity;
  await kv.call('sys_config_set', { key: `users/${USER}/apps/pinned/spec`, value: JSON.stringify(spec) });
  await sleep(500);
  assert.equal((await startedOn('pinned', 'nas1')).pid, onNode.pid);
  assert.equal(await get(`services/pinned@${USER}/instances/ood1`), undefined);

  await node.kill('SIGTERM');
  const stoppedAt = Date.now();
  const moved = await startedOn('pinned', 'ood1');
  const answer = await waitFor('pinned through the OOD gateway from ood1', async () => {
    const a = await viaGateway(ood.host, 'pinned');
    return a?.pid === moved.pid ? a : undefined;
  });
  const healedMs = Date.now() - stoppedAt;
  assert.equal(answer.env.BUCKYOS_BIND, ood.host);
  assert.ok(healedMs < (GONE_AFTER_S + 8) * 1000, `re-placement took ${healedMs} ms`);
  assert.equal((await snapshotNodes())?.nas1?.status, 'gone');
  assert.ok(await viaGateway(ood.host, 'pair'), 'the spread app still answers from the OOD');
});
