// Issue 14, power cut inside a scheduler pass that is too big for one transaction: 700 apps make 1,411
// writes, written as two exec_tx with the scheduler's snapshot in the last. The pass runs in its own
// process; a proxy in front of system-config lets the first part through and kills that process with
// SIGKILL the moment its answer is sent, so the zone holds the first part and not the second. A new
// scheduler then runs on that KV, and the zone must end exactly as a twin zone whose pass was never cut.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { join } from 'node:path';
import { startSystemConfig, SYSTEM_CONFIG_PATH, type SystemConfigHandle } from '../system-config/service.js';
import { SystemConfigClient } from '../system-config/client.js';
import { MemoryStore } from '../system-config/store/memory-store.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { nowSeconds, signJwt } from '../lib/identity/jwt.js';
import { silentLogger } from '../lib/log.js';
import { buildBootKeys } from '../scheduler/boot.js';
import { startSchedulingLoop } from '../scheduler/loop.js';
import { appSpec, bootInputFor, deviceInfo, GiB } from '../scheduler/fixtures/zone.js';
import { SCHEDULER_PREFIX, SCHEDULER_SNAPSHOT_KEY } from '../api/keys.js';
import { randomLoopback } from '../testing/harness.js';

const APPS = 700;
const host = randomLoopback();
const device = generateEd25519();
const owner = generateEd25519();
const token = (appid: string) => signJwt({ iss: 'ood1', sub: 'ood1', appid, exp: nowSeconds() + 600 }, device.privateKeyPem, 'ood1');

// Both zones hold the very same facts, the device's last report included.
const reportedAt = nowSeconds();
const zones: SystemConfigHandle[] = [];
const servers: http.Server[] = [];
after(async () => {
  for (const s of servers) s.close();
  await Promise.all(zones.map((z) => z.stop()));
});

/** A booted zone with one big OOD and APPS app specs, nothing placed yet. */
async function zone(): Promise<{ url: string; kv: (appid: string) => SystemConfigClient }> {
  const handle = await startSystemConfig({
    store: new MemoryStore(), host, port: 0, log: silentLogger, zoneDid: 'did:web:alice.example.com',
    owner: { did: 'did:bns:alice', publicJwk: owner.publicJwk },
    device: { name: 'ood1', did: 'did:web:ood1.alice.example.com', publicJwk: device.publicJwk },
  });
  zones.push(handle);
  const url = `http://${host}:${handle.port}${SYSTEM_CONFIG_PATH}`;
  const kv = (appid: string) => new SystemConfigClient(url, () => token(appid));
  const creates = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { action: 'create' as const, value }]));
  await kv('node-daemon').execTx(creates(buildBootKeys(bootInputFor())));
  const state: Record<string, string> = { 'devices/ood1/info': deviceInfo('ood1', { updateTime: reportedAt, allIp: ['192.168.1.10'], totalMem: 1024 * GiB }) };
  for (let i = 0; i < APPS; i++) state[`users/alice/apps/a${i}/spec`] = appSpec('alice', `a${i}`, { appIndex: 10 + i });
  await kv('node-daemon').execTx(creates(state));
  return { url, kv };
}

/** An HTTP proxy to `target` that passes the first exec_tx, then calls `cut` and answers nothing more. */
async function cutAfterFirstTx(target: string, cut: () => void): Promise<string> {
  let cutDone = false;
  const server = http.createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const c of req) parts.push(c as Buffer);
    if (cutDone) return void req.socket.destroy();
    const body = Buffer.concat(parts);
    const isTx = (JSON.parse(body.toString('utf8') || '{}') as { method?: string }).method === 'sys_config_exec_tx';
    const answer = await fetch(`${target}`, { method: req.method, headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' }, body });
    const text = await answer.text();
    if (cutDone) return void req.socket.destroy();
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(text);
    if (isTx) {
      cutDone = true;
      cut();
    }
  });
  server.listen(0, host);
  await once(server, 'listening');
  servers.push(server);
  return `http://${host}:${(server.address() as { port: number }).port}${SYSTEM_CONFIG_PATH}`;
}

const withoutScheduler = (dump: Record<string, string>) => Object.fromEntries(Object.entries(dump).filter(([k]) => !k.startsWith(SCHEDULER_PREFIX)));

/** Passes until one writes nothing: the scheduler's intent has landed whole. */
async function converge(kv: SystemConfigClient): Promise<void> {
  const loop = startSchedulingLoop({ kv, log: silentLogger, watch: false, safetyPassMs: 600_000 });
  try {
    for (let i = 0; i < 5; i++) if ((await loop.runOnce()).writes === 0) return;
    assert.fail('the scheduler kept writing after five passes');
  } finally {
    await loop.stop();
  }
}

test('power cut between the parts of a split scheduler pass: the next scheduler finishes it, and the zone ends as if nothing happened', async () => {
  const twin = await zone();
  const cutZone = await zone();
  const initial = await cutZone.kv('scheduler').dump();

  // The pass in its own process, killed the moment the first part is acknowledged.
  let child: ChildProcess | undefined;
  const proxied = await cutAfterFirstTx(cutZone.url, () => child?.kill('SIGKILL'));
  child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'scheduler-pass.ts')], {
    env: { ...process.env, BUCKYOS_SC_URL: proxied, BUCKYOS_SC_TOKEN: await token('scheduler') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the pass ended before its cut:\n${output}`);

  // In between: the first part is there, the rest and the snapshot are not.
  const between = await cutZone.kv('scheduler').dump();
  const landed = Object.keys(between).filter((k) => !(k in initial) || between[k] !== initial[k]);
  assert.ok(landed.length >= 1000, `the first part holds 1,000 writes; ${landed.length} landed`);
  assert.equal(between[SCHEDULER_SNAPSHOT_KEY], undefined, 'the snapshot is written in the last part only');

  // The restarted scheduler (a new process would start exactly like this) and the twin that was never cut.
  await converge(cutZone.kv('scheduler'));
  await converge(twin.kv('scheduler'));
  const [after, reference] = await Promise.all([cutZone.kv('scheduler').dump(), twin.kv('scheduler').dump()]);
  assert.ok(after[SCHEDULER_SNAPSHOT_KEY], 'the restarted scheduler wrote its snapshot');
  assert.deepEqual(withoutScheduler(after), withoutScheduler(reference), 'the cut zone differs from the twin whose pass was never cut');
  const placed = JSON.parse(after['nodes/ood1/config']) as { apps: Record<string, unknown> };
  assert.equal(Object.keys(placed.apps).length, APPS, 'every app is placed once');
});
