// Issue 12, in network namespaces (root): an OOD and a NAS on one bridge, the NAS joined by approval
// (its document signed under the owner's enrolment delegation). An app placed on the NAS answers through
// the OOD's gateway, and the bytes between the two hosts travel through the rtcp tunnel (:2980): no
// plain TCP from the OOD reaches the NAS's gateway (:3180) or the app's port. Before issue 12 the OOD's
// gateway forwarded over plain HTTP to http://<nas>:3180, which this test would see.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pollUntil, repoRoot, TEST_PASSWORD } from '../testing/harness.js';
import { NetnsLan, netnsUsable } from '../testing/netns-lan.js';

const cliEntry = join(repoRoot, 'bin', 'buckyos.js');
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '5', BUCKYOS_REPORT_INTERVAL_MS: '1000', BUCKYOS_LOG_LEVEL: 'warn' };

const lan = new NetnsLan('gat', ['ood', 'nas'] as const, TUNING);
const skip = await netnsUsable('gat');
if (skip) console.error(`\n!!!!!!!! SKIPPING the network-namespace gateway-over-rtcp test of issue 12: ${skip} !!!!!!!!\n`);
const { hosts } = lan;
type Host = keyof typeof hosts;
const spawnIn = (h: Host, args: string[]) => lan.spawnIn(h, [cliEntry, ...args]);
const inNs = (h: Host, cmd: string, args: string[], env: Record<string, string> = {}) => lan.inNs(h, cmd, args, env);

/** The NAS's TCP connections (every state, TIME-WAIT too) as `local peer` pairs of address:port. */
async function nasConnections(): Promise<Array<{ local: string; peer: string }>> {
  const r = await inNs('nas', 'ss', ['-tanH']);
  assert.equal(r.code, 0, r.out);
  return r.out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f.length >= 5 && f[0] !== 'LISTEN').map((f) => ({ local: f[3], peer: f[4] }));
}

const zone = `http://${hosts.ood}:3180`;
const owner = { BUCKYOS_ZONE: zone, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };
const buckyos = (args: string[]) => inNs('ood', process.execPath, [cliEntry, ...args], owner);
const portOpen = async (h: Host, host: string, port: number) => (await inNs(h, 'curl', ['-s', '-o', '/dev/null', '-m', '3', `http://${host}:${port}/`])).code === 0;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, context: () => string, timeoutMs = 60_000) => pollUntil(what, probe, { timeoutMs, everyMs: 500, context });

test('an app on the NAS answers through the OOD gateway over rtcp; no plain TCP reaches the NAS gateway or the app port', { skip, timeout: 600_000 }, async () => {
  after(() => lan.tearDown());
  await lan.setUp();
  const tmp = (name: string) => lan.tmp(name);
  const [oodDir, nasDir] = await Promise.all([tmp('ood'), tmp('nas')]);

  const ood = spawnIn('ood', ['ood', '--data', oodDir, '--host', hosts.ood, '--pkgs', fixtures, '--zone-https-port', 'off']);
  const nas = spawnIn('nas', ['node', '--data', nasDir, '--host', hosts.nas, '--pkgs', fixtures]);
  const logs = () => `--- OOD ---\n${ood.out().slice(-2500)}\n--- NAS ---\n${nas.out().slice(-2500)}`;
  await waitFor('the OOD waiting for activation', async () => ((await portOpen('ood', hosts.ood, 3182)) ? true : undefined), logs);
  const act = await inNs('ood', process.execPath, [cliEntry, 'activate', '--device', `http://${hosts.ood}:3182`, '--zone', 'gatzone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.out);
  const mnemonic = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(act.out)?.[1] ?? '';
  await waitFor('the OOD gateway', async () => ((await portOpen('ood', hosts.ood, 3180)) ? true : undefined), logs);
  const nasCode = await waitFor('a pairing code', async () => /Pairing code: (\S+)/.exec(nas.out())?.[1], logs);

  // The NAS joins by approval: its document is signed by the OOD's enrolment key under the delegation.
  const found = await waitFor('the NAS in a scan', async () => {
    const r = await buckyos(['devices', 'scan', '--wait', '2000', '--json']);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.out) as { devices: Array<{ address: string; join_url: string; fingerprint: string }> }).devices.find((d) => d.address === hosts.nas);
  }, logs);
  const del = await buckyos(['devices', 'delegate', '--mnemonic', mnemonic]);
  assert.equal(del.code, 0, del.out);
  const join_ = await buckyos(['devices', 'join', 'nas', '--device', found.join_url, '--code', nasCode, '--fingerprint', found.fingerprint]);
  assert.equal(join_.code, 0, join_.out);
  await waitFor('the NAS online', async () => {
    const r = await buckyos(['devices', 'list', '--json']);
    const list = r.code === 0 ? (JSON.parse(r.out) as { devices: Array<{ name: string; state: string }> }).devices : [];
    return list.find((d) => d.name === 'nas')?.state === 'online' ? true : undefined;
  }, logs);

  // The scheduler's route from the OOD to the NAS is the tunnel, not plain HTTP.
  const info = JSON.parse((await buckyos(['kv', 'get', 'nodes/ood1/gateway_info'])).out.trim().replace(/^[^{]*/, '')) as { routes: Record<string, Array<{ url: string; kind: string }>> };
  assert.deepEqual(info.routes.nas.map((r) => [r.kind, r.url]), [['rtcp_direct', 'rtcp://nas/']]);

  const spec = JSON.stringify({
    installation_id: 'pinned', user_id: 'alice', app_class: 'UserInstalled', app_index: 43, node_affinity: 'nas',
    app_doc: { name: 'pinned', version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
    enable: true, expected_instance_count: 1, state: 'new', spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
  });
  assert.equal((await buckyos(['kv', 'set', 'users/alice/apps/pinned/spec', spec])).code, 0);
  const before = await nasConnections();
  const viaOod = await waitFor('pinned on the NAS through the OOD gateway', async () => {
    const r = await inNs('ood', 'curl', ['-s', '-m', '5', '-f', `http://${hosts.ood}:3180/apps/pinned/hello`]);
    return r.code === 0 ? (JSON.parse(r.out) as { env: Record<string, string> }) : undefined;
  }, logs, 180_000);
  assert.ok(viaOod.env);
  assert.match((await buckyos(['kv', 'get', 'services/pinned@alice/instances/nas'])).out, /"state":\s*"started"/, 'it runs on the NAS');
  const instance = JSON.parse((await buckyos(['kv', 'get', 'services/pinned@alice/instances/nas'])).out.trim().replace(/^[^{]*/, '')) as { service_ports?: Record<string, number> };
  const appPort = instance.service_ports?.www;
  assert.ok(typeof appPort === 'number', `the instance reports its port: ${JSON.stringify(instance)}`);
  // a few more requests, so a keep-alive pool would have had every reason to open plain connections
  for (let i = 0; i < 5; i++) assert.equal((await inNs('ood', 'curl', ['-s', '-m', '5', '-f', '-o', '/dev/null', `http://${hosts.ood}:3180/apps/pinned/again${i}`])).code, 0);

  const conns = [...before, ...(await nasConnections())];
  const fromOod = conns.filter((c) => c.peer.startsWith(`${hosts.ood}:`));
  assert.ok(fromOod.some((c) => c.local.endsWith(':2980') || c.peer.endsWith(':2980')), `the NAS and the OOD talk over rtcp (:2980): ${JSON.stringify(conns)}`);
  const plain = fromOod.filter((c) => c.local === `${hosts.nas}:3180` || c.local.endsWith(`:${appPort}`));
  assert.deepEqual(plain, [], 'no plain TCP from the OOD to the NAS gateway or the app port');
  // the app listens where only the NAS itself (and so its rtcp stack) reaches it
  assert.equal(await portOpen('ood', hosts.nas, appPort), false, 'the app port is not reachable from the OOD');
});
