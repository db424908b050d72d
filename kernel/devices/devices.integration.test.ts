// Approving and removing a device without the recovery words (issue 11), with real processes on two
// loopback addresses: an activated OOD and a headless node showing its pairing URL. The owner makes
// the enrolment delegation once (words), then approves by the pairing URL; wrong codes, a swapped key
// and a missing delegation are refused with nothing written; an app placed on the node answers through
// the OOD's gateway; removing the node revokes its key (its token fails at once), moves its app, sends
// it back to waiting-to-join, and its old key can neither be approved again nor speak to the zone.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, cli, pollUntil, randomLoopback, repoRoot, spawnNode, stopWithApps, tempDir, waitForPort, type NodeProcess } from '../testing/harness.js';
import { login } from '../cli/session.js';
import { DEVICES_KAPI_PATH, parsePairingUrl, type DevicesMethods } from '../api/devices.js';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { KrpcClient, ServiceClient } from '../lib/krpc/client.js';
import { loadNodeIdentity, signDeviceToken } from '../node-identity.js';
import { dataPaths } from '../lib/paths.js';

const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '5', BUCKYOS_REPORT_INTERVAL_MS: '1000' };
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const USER = 'alice';
const isCode = (code: ErrorCode) => (e: unknown) => isKrpcError(e, code);

const { ood, env, mnemonic, dir } = await activatedOod({ args: ['--pkgs', fixtures], env: TUNING });
const nodeDir = await tempDir('buckyos-nas-');
const nodeHost = randomLoopback();
let node: NodeProcess = spawnNode(nodeDir.path, nodeHost, ['--pkgs', fixtures], TUNING);
after(async () => {
  await stopWithApps(node);
  await stopWithApps(ood);
  await Promise.all([dir.remove(), nodeDir.remove()]);
});
const logs = () => `--- OOD ---\n${ood.log().slice(-2500)}\n--- node ---\n${node.log().slice(-2500)}`;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) => pollUntil(what, probe, { timeoutMs, context: logs });

const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
const devices = new ServiceClient<DevicesMethods>(`${env.BUCKYOS_ZONE}${DEVICES_KAPI_PATH}`, { token: session.sessionToken, timeoutMs: 20_000 });
const kv = session.client('system_config');
const get = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;
const etcFiles = async () => (await readdir(join(nodeDir.path, 'etc'))).filter((f) => !f.startsWith('.')).sort();
const pairingOf = async (p: NodeProcess) => {
  const url = await waitFor('the node to print its pairing URL', async () => /(buckyos:\/\/join\?\S+)/.exec(p.stdout())?.[1]);
  const parsed = parsePairingUrl(url);
  assert.ok(parsed.ok);
  return { url, ...parsed.info };
};
let pairing = await pairingOf(node);
await waitForPort(nodeHost, 3182);

test('the node shows a QR code and its pairing URL; the :3182 page serves the QR as an image', async () => {
  assert.match(node.stdout(), /[█▄▀]/);
  assert.equal(pairing.join_url, `http://${nodeHost}:3182`);
  const page = await (await fetch(`http://${nodeHost}:3182/`)).text();
  assert.ok(page.includes(pairing.pairing_code) && page.includes('/pairing-qr.svg'));
  const svg = await fetch(`http://${nodeHost}:3182/pairing-qr.svg`);
  assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  assert.match(await svg.text(), /^<svg/);
  const info = (await (await fetch(`http://${nodeHost}:3182/device`)).json()) as Record<string, unknown>;
  assert.equal(JSON.stringify(info).includes(pairing.pairing_code), false, 'the pairing code is never in the device info');
});

test('without the owner\'s delegation the OOD cannot approve anything', async () => {
  const status = await devices.call('device.delegation', {});
  assert.equal(status.state, 'missing');
  await assert.rejects(devices.call('device.approve', { name: 'nas1', device_url: pairing.join_url, pairing_code: pairing.pairing_code }), isCode('FAILED_PRECONDITION'));
  assert.deepEqual(await etcFiles(), ['device_key.pem']);
});

test('the owner delegates once with the words; a plain call without a session or with a forged delegation is refused', async () => {
  await assert.rejects(new ServiceClient<DevicesMethods>(`${env.BUCKYOS_ZONE}${DEVICES_KAPI_PATH}`).call('device.list', {}), isCode('UNAUTHENTICATED'));
  await assert.rejects(devices.call('device.delegate', { delegation_jwt: 'a.b.c' }), (e) => isKrpcError(e, 'PERMISSION_DENIED') || isKrpcError(e, 'UNAUTHENTICATED'));
  const r = await cli(['devices', 'delegate', '--mnemonic', mnemonic], env);
  assert.equal(r.code, 0, r.stderr);
  const status = await devices.call('device.delegation', {});
  assert.equal(status.state, 'active');
  assert.ok((status.exp ?? 0) - Date.now() / 1000 > 300 * 24 * 3600);
});

test('a wrong pairing code, a swapped key and a bad name are refused, and nothing is written anywhere', async () => {
  const wrong = pairing.pairing_code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
  await assert.rejects(devices.call('device.approve', { name: 'nas1', device_url: pairing.join_url, pairing_code: wrong }), isCode('PERMISSION_DENIED'));
  await assert.rejects(devices.call('device.approve', { name: 'nas1', device_url: pairing.join_url, pairing_code: pairing.pairing_code, fingerprint: 'AAAA-AAAA-AAAA' }), isCode('INTEGRITY'));
  await assert.rejects(devices.call('device.approve', { name: 'ood1', device_url: pairing.join_url, pairing_code: pairing.pairing_code }), isCode('ALREADY_EXISTS'));
  await assert.rejects(devices.call('device.approve', { name: 'scheduler', device_url: pairing.join_url, pairing_code: pairing.pairing_code }), isCode('INVALID_PARAMS'));
  assert.deepEqual(await etcFiles(), ['device_key.pem']);
  assert.equal(await get('devices/nas1/doc'), undefined);
});

test('approved by its pairing URL (no recovery words), the node joins and runs an app the OOD gateway reaches', async () => {
  const r = await cli(['devices', 'join', 'nas1', '--device', pairing.url], env);
  assert.equal(r.code, 0, r.stderr);
  await waitForPort(nodeHost, 3180);
  const listed = await waitFor('nas1 online in device.list', async () => {
    const d = (await devices.call('device.list', {})).devices.find((x) => x.name === 'nas1');
    return d?.state === 'online' ? d : undefined;
  });
  assert.equal(listed.approved_by, 'delegation');
  assert.equal(listed.fingerprint, pairing.fingerprint);
  assert.equal(listed.is_ood, false);

  const spec = (extra: Record<string, unknown>) => JSON.stringify({
    installation_id: 'pinned', user_id: USER, app_class: 'UserInstalled', app_index: 31,
    app_doc: { name: 'pinned', version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
    enable: true, expected_instance_count: 1, state: 'new', spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } }, ...extra,
  });
  await kv.call('sys_config_set', { key: `users/${USER}/apps/pinned/spec`, value: spec({ node_affinity: 'nas1' }) });
  await waitFor('pinned started on nas1', async () => ((JSON.parse((await get(`services/pinned@${USER}/instances/nas1`)) ?? '{}') as { state?: string }).state === 'started' ? true : undefined), 60_000);
  const viaOod = await waitFor('pinned through the OOD gateway', async () => {
    const res = await fetch(`http://${ood.host}:3180/apps/pinned/`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    return res?.ok ? ((await res.json()) as { env: Record<string, string> }) : undefined;
  });
  assert.equal(viaOod.env.BUCKYOS_BIND, nodeHost);
  // Without affinity it stays where it runs until its node goes away.
  await kv.call('sys_config_set', { key: `users/${USER}/apps/pinned/spec`, value: spec({}) });
});

test('removing the node: its token fails at once, its app moves, it returns to waiting-to-join, its old key is refused', async () => {
  const paths = dataPaths(nodeDir.path);
  const oldFingerprint = pairing.fingerprint;
  const oldId = await loadNodeIdentity(paths);
  const saved = join(nodeDir.path, '..', `${process.pid}-old-etc`);
  await mkdir(saved, { recursive: true });
  for (const f of await etcFiles()) await copyFile(join(paths.etc, f), join(saved, f));
  const oldToken = await signDeviceToken(oldId, 'node-daemon');
  const asOldNode = new KrpcClient(`${env.BUCKYOS_ZONE}/kapi/system_config`, { token: oldToken });
  assert.ok(await asOldNode.call('sys_config_get', { key: 'nodes/nas1/config' }), 'before: the node may read its config');

  const r = await cli(['devices', 'remove', 'nas1'], env);
  assert.equal(r.code, 0, r.stderr);
  await assert.rejects(asOldNode.call('sys_config_get', { key: 'nodes/nas1/config' }), isCode('UNAUTHENTICATED'));
  await waitFor('pinned re-placed on ood1', async () => ((JSON.parse((await get(`services/pinned@${USER}/instances/ood1`)) ?? '{}') as { state?: string }).state === 'started' ? true : undefined), 60_000);
  await waitFor('the node back on :3182 with a new key', async () => {
    const info = await fetch(`http://${nodeHost}:3182/device`).then((res) => res.json() as Promise<{ join_code?: string }>, () => undefined);
    return info?.join_code && info.join_code !== pairing.fingerprint ? true : undefined;
  });
  await assert.rejects(access(paths.nodeIdentity), 'identity forgotten');
  assert.equal((await devices.call('device.list', {})).devices.some((d) => d.name === 'nas1'), false);

  // The old key again: the device restarts with it, unjoined; approving it is refused, nothing written.
  await stopWithApps(node);
  for (const f of ['device_key.pem']) await copyFile(join(saved, f), join(paths.etc, f));
  node = spawnNode(nodeDir.path, nodeHost, ['--pkgs', fixtures], TUNING);
  pairing = await pairingOf(node);
  assert.equal(pairing.fingerprint, oldFingerprint, 'the old key is back');
  await waitForPort(nodeHost, 3182);
  await assert.rejects(devices.call('device.approve', { name: 'nas1', device_url: pairing.join_url, pairing_code: pairing.pairing_code }), isCode('PERMISSION_DENIED'));
  assert.equal(await get('devices/nas1/doc'), undefined);
  // With its old documents too, it boots but the zone does not know it: its tokens are refused.
  await stopWithApps(node);
  for (const f of await readdir(saved)) await copyFile(join(saved, f), join(paths.etc, f));
  node = spawnNode(nodeDir.path, nodeHost, ['--pkgs', fixtures], TUNING);
  await assert.rejects(asOldNode.call('sys_config_get', { key: 'nodes/nas1/config' }), isCode('UNAUTHENTICATED'));
  await assert.rejects(new KrpcClient(`${env.BUCKYOS_ZONE}/kapi/system_config`, { token: await signDeviceToken(oldId, 'node-daemon') }).call('sys_config_get', { key: 'devices/nas1/info' }), isCode('UNAUTHENTICATED'));
});

test('revoking the delegation stops approvals', async () => {
  const r = await cli(['devices', 'revoke-delegation'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await devices.call('device.delegation', {})).state, 'missing');
  await assert.rejects(devices.call('device.approve', { name: 'nas9', device_url: pairing.join_url, pairing_code: pairing.pairing_code }), isCode('FAILED_PRECONDITION'));
});
