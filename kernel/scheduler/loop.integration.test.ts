// The scheduler loop against a real system-config on a random loopback address: first boot in one
// exec_tx, convergence on KV watch (well under a second), zero writes when nothing changed, live
// reports turning into service_info, and a pass that fails without stopping the loop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSystemConfig, SYSTEM_CONFIG_PATH, type SystemConfigHandle } from '../system-config/service.js';
import { SystemConfigClient } from '../system-config/client.js';
import { MemoryStore } from '../system-config/store/memory-store.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { isKrpcError } from '../lib/errors.js';
import { silentLogger } from '../lib/log.js';
import { buildBootKeys } from './boot.js';
import { startSchedulingLoop, type SchedulerHandle } from './loop.js';
import { parseSnapshot } from './snapshot-store.js';
import { appSpec, bootInputFor, deviceInfo, instanceReport } from './fixtures/zone.js';
import type { NodeConfig, ServiceInfo } from './types.js';

const rand = () => 1 + Math.floor(Math.random() * 250);
const host = `127.${rand()}.${rand()}.${rand()}`;
const device = generateEd25519();
const owner = generateEd25519();

let service: SystemConfigHandle;
let kv: (appid: string) => SystemConfigClient;
let scheduler: SchedulerHandle | undefined;

const token = (appid: string) => signJwt({ iss: 'ood1', sub: 'ood1', appid, exp: nowSeconds() + 600 }, device.privateKeyPem, 'ood1');

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 3000): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: performance.now() - start };
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const nodeConfig = async () => {
  const v = await kv('node-daemon').get('nodes/ood1/config');
  return v ? (JSON.parse(v.value) as NodeConfig) : undefined;
};

before(async () => {
  service = await startSystemConfig({
    store: new MemoryStore(), host, port: 0, log: silentLogger, zoneDid: 'did:web:alice.example.com',
    owner: { did: 'did:bns:alice', publicJwk: owner.publicJwk },
    device: { name: 'ood1', did: 'did:web:ood1.alice.example.com', publicJwk: device.publicJwk },
  });
  const url = `http://${host}:${service.port}${SYSTEM_CONFIG_PATH}`;
  kv = (appid) => new SystemConfigClient(url, () => token(appid));
});

after(async () => {
  await scheduler?.stop();
  await service.stop();
});

test('first boot is one exec_tx of creates, and a second boot fails cleanly without touching anything', async () => {
  const keys = buildBootKeys(bootInputFor());
  const creates = Object.fromEntries(Object.entries(keys).map(([k, value]) => [k, { action: 'create' as const, value }]));
  await kv('node-daemon').execTx(creates);
  const again = buildBootKeys({ ...bootInputFor(), verifyHubKey: generateEd25519() });
  await assert.rejects(kv('node-daemon').execTx(Object.fromEntries(Object.entries(again).map(([k, value]) => [k, { action: 'create' as const, value }]))),
    (e) => isKrpcError(e, 'ALREADY_EXISTS'));
  assert.equal((await kv('node-daemon').get('security/verify-hub/key'))?.value, keys['security/verify-hub/key']);
});

test('the loop places the kernel services as soon as the OOD reports in, then idles with zero writes', async (t) => {
  scheduler = startSchedulingLoop({ kv: kv('scheduler'), log: silentLogger, debounceMs: 20, safetyPassMs: 60_000 });
  await kv('node-daemon').set('devices/ood1/info', deviceInfo('ood1', { updateTime: nowSeconds(), allIp: ['192.168.1.10'] }));
  const { value: cfg, ms } = await until('kernel services placed', async () => {
    const c = await nodeConfig();
    return c && Object.keys(c.kernel).length === 4 ? c : undefined;
  });
  assert.ok(ms < 1000, `converged in ${ms.toFixed(0)} ms`);
  t.diagnostic(`kernel services placed ${ms.toFixed(0)} ms after devices/ood1/info was written`);
  assert.deepEqual(Object.keys(cfg.kernel).sort(), ['app-manager', 'repo-service', 'scheduler', 'verify-hub']);
  assert.equal(cfg.kernel.scheduler.service_sepc.state, 'running');
  assert.equal(JSON.parse((await kv('scheduler').get('services/scheduler/spec'))!.value).state, 'running');

  await until('settled', async () => ((await scheduler!.runOnce()).writes === 0 ? true : undefined));
  assert.deepEqual(await scheduler.runOnce(), { writes: 0 });
  const snapshot = parseSnapshot((await kv('scheduler').get('system/scheduler/snapshot'))!.value)!;
  assert.equal(snapshot.placements.scheduler.instances[0].reason.code, 'filter:only-candidate');
  assert.ok(await kv('scheduler').get(`system/scheduler/history/${snapshot.rev}`));
});

test('a new app spec is placed within a second, and its live report becomes service_info and a gateway route', async (t) => {
  await kv('node-daemon').set('users/alice/apps/notes/spec', appSpec('alice', 'notes', { appIndex: 10 }));
  const placed = await until('app placed', async () => (await nodeConfig())?.apps['notes@alice@ood1']);
  assert.ok(placed.ms < 1000, `placed in ${placed.ms.toFixed(0)} ms`);
  t.diagnostic(`app placed ${placed.ms.toFixed(0)} ms after its spec was written`);
  assert.deepEqual(placed.value.service_ports_config, { www: 10160 });

  await kv('node-daemon').set('services/notes@alice/instances/ood1', instanceReport('notes@alice', 'ood1', { port: 10163, now: nowSeconds() }));
  const info = await until('service info', async () => {
    const v = await kv('node-daemon').get('services/notes@alice/info');
    const parsed = v ? (JSON.parse(v.value) as ServiceInfo) : undefined;
    return parsed && parsed.node_list.ood1 ? parsed : undefined;
  });
  assert.ok(info.ms < 1000, `service info in ${info.ms.toFixed(0)} ms`);
  t.diagnostic(`service_info updated ${info.ms.toFixed(0)} ms after the instance report`);
  assert.deepEqual(info.value.node_list.ood1.service_port, { www: 10163 });
  const gw = JSON.parse((await kv('node-daemon').get('nodes/ood1/gateway_info'))!.value);
  assert.deepEqual(gw.app_info.notes, { app_id: 'notes', access_mode: 'private', node_id: 'ood1', port: 10163 });
});

test('a pass that cannot reach system-config fails without stopping the loop', async () => {
  const broken = startSchedulingLoop({
    kv: new SystemConfigClient(`http://${host}:1${SYSTEM_CONFIG_PATH}`, () => token('scheduler'), { timeoutMs: 2000 }),
    log: silentLogger, watch: false, safetyPassMs: 60_000,
  });
  await assert.rejects(broken.runOnce(), (e) => isKrpcError(e, 'UNAVAILABLE'));
  await assert.rejects(broken.runOnce(), (e) => isKrpcError(e, 'UNAVAILABLE'));
  await broken.stop();
});
