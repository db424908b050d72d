// Issue 14, "network change": an OOD, a NAS and an attacker on one bridge, in Linux network namespaces
// (ip netns; root). The NAS joins and runs an app; the OOD's LAN address goes away (the zone keeps
// working on the OOD's loopback meanwhile) and comes back as another address. While the OOD is away,
// the attacker replays the OOD's real announcements from its own address and sends forged ones: the
// NAS keeps its saved address. When the OOD's new address is up, the NAS checks the OOD's signed
// announcement against the owner-signed OOD document, saves the new address, reports to the OOD again,
// and its app answers through the OOD's gateway at the new address.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, repoRoot, TEST_PASSWORD } from '../testing/harness.js';
import { NetnsLan, netnsUsable, run, type NsProcess } from '../testing/netns-lan.js';

const cliEntry = join(repoRoot, 'bin', 'buckyos.js');
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '5', BUCKYOS_REPORT_INTERVAL_MS: '1000', BUCKYOS_LOG_LEVEL: 'info' };

const lan = new NetnsLan('nch', ['ood', 'nas', 'evl'] as const, TUNING);
const skip = await netnsUsable('nch');
if (skip) console.error(`\n!!!!!!!! SKIPPING the network-change test of issue 14: ${skip} !!!!!!!!\n`);
const { hosts, subnet } = lan;
const movedTo = `${subnet}.9`;
type Host = keyof typeof hosts;
const ns = (h: Host) => lan.ns(h);
const spawnIn = (h: Host, args: string[], env: Record<string, string> = {}) => lan.spawnIn(h, args, env);
const inNs = (h: Host, cmd: string, args: string[], env: Record<string, string> = {}) => lan.inNs(h, cmd, args, env);
// The owner's CLI runs on the OOD and talks to it on loopback: that keeps working whatever its LAN address.
const owner = { BUCKYOS_ZONE: 'http://127.0.0.1:3180', BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };
const buckyos = (args: string[]) => inNs('ood', process.execPath, [cliEntry, ...args], owner);
const portOpen = async (h: Host, host: string, port: number) => (await inNs(h, 'curl', ['-s', '-o', '/dev/null', '-m', '3', `http://${host}:${port}/`])).code === 0;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, context: () => string, timeoutMs = 60_000) => pollUntil(what, probe, { timeoutMs, everyMs: 500, context });
const appVia = async (h: Host, host: string) => {
  const r = await inNs(h, 'curl', ['-s', '-m', '5', '-f', `http://${host}:3180/apps/pinned/`]);
  try { return r.code === 0 ? (JSON.parse(r.out) as { env: Record<string, string> }) : undefined; } catch { return undefined; }
};
const nasState = async () => {
  const r = await buckyos(['devices', 'list', '--json']);
  return r.code === 0 ? (JSON.parse(r.out) as { devices: Array<{ name: string; state: string }> }).devices.find((d) => d.name === 'nas')?.state : undefined;
};

test('the OOD changes its LAN address: the NAS finds it again by its signed announcement; forgeries change nothing', { skip, timeout: 600_000 }, async () => {
  after(() => lan.tearDown());
  await lan.setUp();
  const tmp = (name: string) => lan.tmp(name);
  const [oodDir, nasDir] = await Promise.all([tmp('ood'), tmp('nas')]);

  // The OOD binds every address (as at home: its address comes from DHCP); the NAS its own.
  const ood = spawnIn('ood', [cliEntry, 'ood', '--data', oodDir, '--host', '0.0.0.0', '--pkgs', fixtures]);
  const nas = spawnIn('nas', [cliEntry, 'node', '--data', nasDir, '--host', hosts.nas, '--pkgs', fixtures]);
  let evil: NsProcess | undefined;
  const logs = () => `--- OOD ---\n${ood.out().slice(-2500)}\n--- NAS ---\n${nas.out().slice(-2500)}\n--- attacker ---\n${evil?.out().slice(-500) ?? ''}`;
  await waitFor('the OOD waiting for activation', async () => ((await portOpen('ood', '127.0.0.1', 3182)) ? true : undefined), logs);
  const act = await inNs('ood', process.execPath, [cliEntry, 'activate', '--device', 'http://127.0.0.1:3182', '--zone', 'movezone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.out);
  const mnemonic = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(act.out)?.[1] ?? '';
  await waitFor('the OOD gateway', async () => ((await portOpen('ood', hosts.ood, 3180)) ? true : undefined), logs);
  const nasCode = await waitFor('a pairing code', async () => /Pairing code: (\S+)/.exec(nas.out())?.[1], logs);

  // The NAS joins (found by a scan, approved under the owner's delegation) and runs an app.
  const found = await waitFor('the NAS in a scan', async () => {
    const r = await buckyos(['devices', 'scan', '--wait', '2000', '--json']);
    return r.code === 0 ? (JSON.parse(r.out) as { devices: Array<{ address: string; join_url: string; fingerprint: string }> }).devices.find((d) => d.address === hosts.nas) : undefined;
  }, logs);
  assert.equal((await buckyos(['devices', 'delegate', '--mnemonic', mnemonic])).code, 0);
  const joined = await buckyos(['devices', 'join', 'nas', '--device', found.join_url, '--code', nasCode, '--fingerprint', found.fingerprint]);
  assert.equal(joined.code, 0, joined.out);
  const zoneJoin = join(nasDir, 'etc', 'zone_join.json');
  const savedUrl = async () => (JSON.parse(await readFile(zoneJoin, 'utf8')) as { ood_url: string }).ood_url;
  assert.equal(await savedUrl(), `http://${hosts.ood}:3180`);
  await waitFor('the NAS online', async () => ((await nasState()) === 'online' ? true : undefined), logs);
  const spec = JSON.stringify({
    installation_id: 'pinned', user_id: 'alice', app_class: 'UserInstalled', app_index: 41,
    app_doc: { name: 'pinned', version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
    enable: true, expected_instance_count: 1, state: 'new', spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } }, node_affinity: 'nas',
  });
  assert.equal((await buckyos(['kv', 'set', 'users/alice/apps/pinned/spec', spec])).code, 0);
  await waitFor('the app on the NAS through the OOD gateway', () => appVia('nas', hosts.ood), logs, 120_000);

  // The attacker listens first (it hears the OOD's real announcements), then replays and forges.
  evil = spawnIn('evl', ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'forge-ood.ts'), `${subnet}.255`, hosts.evl, hosts.nas, '35000', '30000']);

  // The OOD's address goes away. The zone keeps working on the OOD's loopback (the owner's CLI talks to
  // it there), and the app keeps serving on the NAS's own gateway.
  await new Promise((r) => setTimeout(r, 35_000));
  assert.equal(evil.child.exitCode, null, `the attacker captured real announcements: ${evil.out()}`);
  await run('ip', ['-n', ns('ood'), 'addr', 'del', `${hosts.ood}/24`, 'dev', 'eth0']);
  assert.match((await buckyos(['kv', 'get', 'users/alice/apps/pinned/spec'])).out, /node_affinity/, 'the zone answers on the OOD loopback');
  assert.ok(await waitFor('the app on the NAS gateway', () => appVia('nas', hosts.nas), logs));
  await waitFor('the NAS looking for the OOD', async () => (/looking for it on the LAN/.test(nas.out()) ? true : undefined), logs);
  await waitFor('the attacker done', async () => (evil.child.exitCode !== null ? true : undefined), logs, 90_000);
  assert.match(evil.out(), /captured [1-9]\d* sent [1-9]/, evil.out());
  assert.match(evil.out(), /probes [1-9]/, 'the NAS probed while the attacker answered');
  assert.equal(await savedUrl(), `http://${hosts.ood}:3180`, 'forged and replayed announcements changed nothing');
  assert.doesNotMatch(nas.out(), /the OOD moved/);
  await waitFor('the NAS seen as gone meanwhile', async () => ((await nasState()) !== 'online' ? true : undefined), logs);

  // The OOD's new address comes up: it announces itself; the NAS checks, saves, reconnects.
  await run('ip', ['-n', ns('ood'), 'addr', 'add', `${movedTo}/24`, 'dev', 'eth0']);
  await waitFor('the NAS saved the new address', async () => ((await savedUrl()) === `http://${movedTo}:3180` ? true : undefined), logs, 90_000);
  const file = JSON.parse(await readFile(zoneJoin, 'utf8')) as { ood_announced_at?: number };
  assert.equal(typeof file.ood_announced_at, 'number');
  await waitFor('the NAS reporting to the OOD again', async () => ((await nasState()) === 'online' ? true : undefined), logs, 90_000);
  const viaNew = await waitFor('the app on the NAS through the OOD gateway at its new address', () => appVia('nas', movedTo), logs, 120_000);
  assert.ok(viaNew.env);
  assert.match((await buckyos(['kv', 'get', 'services/pinned@alice/instances/nas'])).out, /"state":\s*"started"/, 'it still runs on the NAS');
});
