// Three hosts on one LAN, in Linux network namespaces (ip netns; root): an OOD, a NAS and a router
// on one bridge (issue 11). A scan from the OOD finds both unjoined devices by broadcast/multicast on
// UDP 2980; both join through the approval path (no recovery words); an app placed on the NAS answers
// through the OOD's gateway; an announce flood from the router stays bounded and writes nothing;
// removing the NAS fails its token, moves its app and sends it back to waiting-to-join.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, repoRoot, TEST_PASSWORD } from '../testing/harness.js';
import { NetnsLan, netnsUsable, type NsProcess } from '../testing/netns-lan.js';

const cliEntry = join(repoRoot, 'bin', 'buckyos.js');
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '5', BUCKYOS_REPORT_INTERVAL_MS: '1000', BUCKYOS_LOG_LEVEL: 'warn' };

const lan = new NetnsLan('dev', ['ood', 'nas', 'rtr'] as const, TUNING);
const skip = await netnsUsable('dev');
if (skip) console.error(`\n!!!!!!!! SKIPPING the network-namespace LAN test of issue 11: ${skip} !!!!!!!!\n`);
const { hosts, subnet } = lan;
type Host = keyof typeof hosts;
const spawnIn = (h: Host, args: string[]) => lan.spawnIn(h, [cliEntry, ...args]);
const inNs = (h: Host, cmd: string, args: string[], env: Record<string, string> = {}) => lan.inNs(h, cmd, args, env);
const zone = `http://${hosts.ood}:3180`;
const owner = { BUCKYOS_ZONE: zone, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };
const buckyos = (args: string[]) => inNs('ood', process.execPath, [cliEntry, ...args], owner);
const tsx = (h: Host, script: string, args: string[]) => inNs(h, process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', script), ...args]);
const portOpen = async (h: Host, host: string, port: number) => (await inNs(h, 'curl', ['-s', '-o', '/dev/null', '-m', '3', `http://${host}:${port}/`])).code === 0;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, context: () => string, timeoutMs = 60_000) => pollUntil(what, probe, { timeoutMs, everyMs: 500, context });

test('three hosts on one bridge: scan, approve, place, flood, remove', { skip, timeout: 600_000 }, async () => {
  after(() => lan.tearDown());
  await lan.setUp();
  const tmp = (name: string) => lan.tmp(name);
  const [oodDir, nasDir, rtrDir, saved] = await Promise.all([tmp('ood'), tmp('nas'), tmp('rtr'), tmp('saved')]);

  const ood = spawnIn('ood', ['ood', '--data', oodDir, '--host', hosts.ood, '--pkgs', fixtures]);
  const nas = spawnIn('nas', ['node', '--data', nasDir, '--host', hosts.nas, '--pkgs', fixtures]);
  const rtr = spawnIn('rtr', ['node', '--data', rtrDir, '--host', hosts.rtr, '--pkgs', fixtures]);
  const logs = () => `--- OOD ---\n${ood.out().slice(-2000)}\n--- NAS ---\n${nas.out().slice(-1500)}\n--- router ---\n${rtr.out().slice(-1500)}`;
  await waitFor('the OOD waiting for activation', async () => ((await portOpen('ood', hosts.ood, 3182)) ? true : undefined), logs);
  const act = await inNs('ood', process.execPath, [cliEntry, 'activate', '--device', `http://${hosts.ood}:3182`, '--zone', 'lanzone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.out);
  const mnemonic = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(act.out)?.[1] ?? '';
  await waitFor('the OOD gateway', async () => ((await portOpen('ood', hosts.ood, 3180)) ? true : undefined), logs);
  const codeOf = (p: NsProcess) => waitFor('a pairing code', async () => /Pairing code: (\S+)/.exec(p.out())?.[1], logs);
  const [nasCode, rtrCode] = [await codeOf(nas), await codeOf(rtr)];

  // Discovery: both devices answer a scan from the OOD (broadcast + multicast on UDP 2980).
  const found = await waitFor('both devices in a scan', async () => {
    const r = await buckyos(['devices', 'scan', '--wait', '2000', '--json']);
    if (r.code !== 0) return undefined;
    const list = (JSON.parse(r.out) as { devices: Array<{ address: string; join_url: string; fingerprint: string }> }).devices;
    return list.some((d) => d.address === hosts.nas) && list.some((d) => d.address === hosts.rtr) ? list : undefined;
  }, logs);
  const nasFound = found.find((d) => d.address === hosts.nas)!;
  const rtrFound = found.find((d) => d.address === hosts.rtr)!;
  assert.equal(nasFound.join_url, `http://${hosts.nas}:3182`);

  // Both join through the approval path: the words once for the delegation, then no words.
  const del = await buckyos(['devices', 'delegate', '--mnemonic', mnemonic]);
  assert.equal(del.code, 0, del.out);
  const wrong = await buckyos(['devices', 'join', 'nas', '--device', nasFound.join_url, '--code', nasCode === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA', '--fingerprint', nasFound.fingerprint]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /PERMISSION_DENIED/);
  const swapped = await buckyos(['devices', 'join', 'nas', '--device', nasFound.join_url, '--code', nasCode, '--fingerprint', rtrFound.fingerprint]);
  assert.match(swapped.out, /INTEGRITY/);
  for (const [name, d, code] of [['nas', nasFound, nasCode], ['router', rtrFound, rtrCode]] as const) {
    const r = await buckyos(['devices', 'join', name, '--device', d.join_url, '--code', code, '--fingerprint', d.fingerprint]);
    assert.equal(r.code, 0, r.out);
  }
  await waitFor('both online', async () => {
    const r = await buckyos(['devices', 'list', '--json']);
    const list = r.code === 0 ? (JSON.parse(r.out) as { devices: Array<{ name: string; state: string }> }).devices : [];
    return ['nas', 'router'].every((n) => list.find((d) => d.name === n)?.state === 'online') ? true : undefined;
  }, logs);

  // An app placed on the NAS answers through the OOD's gateway.
  const spec = (extra: object) => JSON.stringify({
    installation_id: 'pinned', user_id: 'alice', app_class: 'UserInstalled', app_index: 41,
    app_doc: { name: 'pinned', version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
    enable: true, expected_instance_count: 1, state: 'new', spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } }, ...extra,
  });
  assert.equal((await buckyos(['kv', 'set', 'users/alice/apps/pinned/spec', spec({ node_affinity: 'nas' })])).code, 0);
  const viaOod = await waitFor('pinned on the NAS through the OOD gateway', async () => {
    const r = await inNs('ood', 'curl', ['-s', '-m', '5', '-f', `http://${hosts.ood}:3180/apps/pinned/`]);
    return r.code === 0 ? (JSON.parse(r.out) as { env: Record<string, string> }) : undefined;
  }, logs, 120_000);
  assert.ok(viaOod.env);
  assert.match((await buckyos(['kv', 'get', 'services/pinned@alice/instances/nas'])).out, /"state":\s*"started"/, 'it runs on the NAS');
  assert.doesNotMatch((await buckyos(['kv', 'get', 'services/pinned@alice/instances/ood1'])).out, /"state":\s*"started"/);
  assert.equal((await buckyos(['kv', 'set', 'users/alice/apps/pinned/spec', spec({})])).code, 0);

  // An announce flood from the router: 500 validly self-signed announcements of 500 keys.
  const flood = await tsx('rtr', 'flood.ts', [`${subnet}.255`, hosts.rtr, '500']);
  assert.match(flood.out, /sent 500/);
  const afterFlood = await buckyos(['devices', 'scan', '--wait', '1000', '--json']);
  const fromRouter = (JSON.parse(afterFlood.out) as { devices: Array<{ address: string }> }).devices.filter((d) => d.address === hosts.rtr);
  assert.ok(fromRouter.length <= 4, `a flood keeps at most 4 entries per address, got ${fromRouter.length}`);
  const listed = JSON.parse((await buckyos(['devices', 'list', '--json'])).out) as { devices: Array<{ name: string }> };
  assert.deepEqual(listed.devices.map((d) => d.name).sort(), ['nas', 'ood1', 'router'], 'nothing a flood said was written');

  // Remove the NAS: its token fails, its app moves, it goes back to waiting-to-join.
  await cp(join(nasDir, 'etc'), join(saved, 'etc'), { recursive: true });
  assert.match((await tsx('nas', 'device-token.ts', [saved, zone])).out, /^ok/);
  const rm = await buckyos(['devices', 'remove', 'nas']);
  assert.equal(rm.code, 0, rm.out);
  assert.match((await tsx('nas', 'device-token.ts', [saved, zone])).out, /^UNAUTHENTICATED/);
  await waitFor('pinned moved off the NAS', async () => {
    const other = await buckyos(['kv', 'get', 'services/pinned@alice/instances/router']);
    const ood1 = await buckyos(['kv', 'get', 'services/pinned@alice/instances/ood1']);
    return /"state":\s*"started"/.test(other.out + ood1.out) ? true : undefined;
  }, logs, 120_000);
  await waitFor('the NAS waiting to join again', async () => ((await portOpen('nas', hosts.nas, 3182)) ? true : undefined), logs);
});
