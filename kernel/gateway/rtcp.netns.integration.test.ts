// Issue 12, in network namespaces (root): an OOD and a NAS on one bridge, the NAS joined by approval
// (its document signed under the owner's enrolment delegation). An app placed on the NAS answers through
// the OOD's gateway, and the bytes between the two hosts travel through the rtcp tunnel (:2980): no
// plain TCP from the OOD reaches the NAS's gateway (:3180) or the app's port. Before issue 12 the OOD's
// gateway forwarded over plain HTTP to http://<nas>:3180, which this test would see.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pollUntil, repoRoot, TEST_PASSWORD } from '../testing/harness.js';

const run = promisify(execFile);
const cliEntry = join(repoRoot, 'bin', 'buckyos.js');
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: '5', BUCKYOS_REPORT_INTERVAL_MS: '1000', BUCKYOS_LOG_LEVEL: 'warn' };

async function netnsUsable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  try {
    const probe = `gat${Math.random().toString(16).slice(2, 6)}p`;
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return undefined;
  } catch (e) {
    return `ip netns does not work here (${(e as Error).message.split('\n')[0]})`;
  }
}

const skip = await netnsUsable();
if (skip) console.error(`\n!!!!!!!! SKIPPING the network-namespace gateway-over-rtcp test of issue 12: ${skip} !!!!!!!!\n`);

const tag = `gat${Math.random().toString(16).slice(2, 6)}`;
const subnet = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;
const hosts = { ood: `${subnet}.1`, nas: `${subnet}.2` } as const;
type Host = keyof typeof hosts;
const ns = (h: Host) => `${tag}-${h}`;
const sw = `${tag}-sw`;
const children: ChildProcess[] = [];
const dirs: string[] = [];

async function setUpLan(): Promise<void> {
  await run('ip', ['netns', 'add', sw]);
  await run('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  await run('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
  let i = 0;
  for (const h of Object.keys(hosts) as Host[]) {
    const veth = `${tag}v${i++}`;
    await run('ip', ['netns', 'add', ns(h)]);
    await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns(h)]);
    await run('ip', ['link', 'set', veth, 'netns', sw]);
    await run('ip', ['-n', sw, 'link', 'set', veth, 'master', 'br0']);
    await run('ip', ['-n', sw, 'link', 'set', veth, 'up']);
    await run('ip', ['-n', ns(h), 'addr', 'add', `${hosts[h]}/24`, 'dev', 'eth0']);
    await run('ip', ['-n', ns(h), 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', ns(h), 'link', 'set', 'lo', 'up']);
  }
}

async function tearDown(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const n of [...(Object.keys(hosts) as Host[]).map(ns), sw]) await run('ip', ['netns', 'del', n]).catch(() => {});
  for (const d of dirs) await rm(d, { recursive: true, force: true });
}

interface Proc { out(): string; child: ChildProcess }
function spawnIn(h: Host, args: string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns(h), process.execPath, cliEntry, ...args], { env: { ...process.env, ...TUNING }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function inNs(h: Host, cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const r = await run('ip', ['netns', 'exec', ns(h), cmd, ...args], { env: { ...process.env, ...env }, cwd: repoRoot, timeout: 120_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

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
  after(tearDown);
  await setUpLan();
  const tmp = (name: string) => mkdtemp(join(tmpdir(), `${tag}-${name}-`)).then((d) => (dirs.push(d), d));
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
