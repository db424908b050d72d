// The shortest closed loop on a fresh OOD (a real `buckyos ood` child process): the owner writes an
// app spec → the scheduler places it → node-daemon starts the process past a busy hint port and
// reports the real port → services/<id>/info appears → the gateway on :3180 reaches the app; kill -9
// the app → a new pid is reported and the gateway still answers; delete the spec → the process stops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { activatedOod, pollUntil, repoRoot } from './testing/harness.js';
import { login } from './cli/session.js';

const USER = 'alice';
const APP = 'echo1';
const SPEC_ID = `${APP}@${USER}`;
const APP_INDEX = 7;
const HINT = 10000 + 16 * APP_INDEX;

const { ood, env, dir } = await activatedOod({ args: ['--pkgs', join(repoRoot, 'kernel/node-daemon/fixtures')] });
const host = ood.host;
const blocker = createServer();
await new Promise<void>((r) => blocker.listen(HINT, host, r));
after(async () => {
  blocker.close();
  await ood.kill('SIGTERM');
  await dir.remove();
});

const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
const kv = session.client('system_config');
const get = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;

const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000) => pollUntil(what, probe, { timeoutMs, context: () => ood.log().slice(-3000) });

interface Report { state: string; pid: number; service_ports: Record<string, number> }
const report = async () => {
  const text = await get(`services/${SPEC_ID}/instances/ood1`);
  return text ? (JSON.parse(text) as Report) : undefined;
};
const startedReport = (notPid = 0) => waitFor(`a started report (pid ≠ ${notPid})`, async () => {
  const r = await report();
  return r?.state === 'started' && r.pid !== notPid ? r : undefined;
});
const throughGateway = async () => {
  const res = await fetch(`http://${host}:3180/apps/${APP}/`, { signal: AbortSignal.timeout(5000) });
  return res.ok ? ((await res.json()) as { pid: number; port: number }) : undefined;
};
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const spec = {
  installation_id: APP,
  user_id: USER,
  app_class: 'UserInstalled',
  app_index: APP_INDEX,
  app_doc: { name: APP, version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
  enable: true,
  expected_instance_count: 1,
  state: 'new',
  spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
};

let firstPid = 0;

test('an app spec written through the gateway starts the app past its busy hint port, and the gateway reaches it', async () => {
  await kv.call('sys_config_set', { key: `users/${USER}/apps/${APP}/spec`, value: JSON.stringify(spec) });
  const r = await startedReport();
  assert.ok(r.pid > 0 && alive(r.pid));
  assert.notEqual(r.service_ports.www, HINT, 'the hint port is taken, so the app must report another one');
  assert.ok(r.service_ports.www > HINT && r.service_ports.www < HINT + 16);

  const info = await waitFor('services/<id>/info with the real port', async () => {
    const text = await get(`services/${SPEC_ID}/info`);
    const parsed = text ? (JSON.parse(text) as { node_list: Record<string, { service_port: Record<string, number> }> }) : undefined;
    return parsed?.node_list.ood1?.service_port.www === r.service_ports.www ? parsed : undefined;
  });
  assert.deepEqual(Object.keys(info.node_list), ['ood1']);

  const answer = await waitFor('the app through :3180', throughGateway);
  assert.equal(answer.pid, r.pid);
  assert.equal(answer.port, r.service_ports.www);
  firstPid = r.pid;
});

test('kill -9 of the app: a new pid is reported and the gateway still answers', async () => {
  assert.ok(firstPid > 0);
  process.kill(firstPid, 'SIGKILL');
  const r = await startedReport(firstPid);
  assert.ok(alive(r.pid));
  assert.equal(alive(firstPid), false);
  const answer = await waitFor('the restarted app through :3180', async () => {
    const a = await throughGateway();
    return a?.pid === r.pid ? a : undefined;
  });
  assert.equal(answer.port, r.service_ports.www);
  firstPid = r.pid;
});

test('deleting the spec stops the process and the gateway stops routing to it', async () => {
  assert.ok(firstPid > 0);
  await kv.call('sys_config_delete', { key: `users/${USER}/apps/${APP}/spec` });
  await waitFor('the app process to exit', async () => (alive(firstPid) ? undefined : true));
  const status = await waitFor('the gateway to drop the route', async () => {
    const res = await fetch(`http://${host}:3180/apps/${APP}/`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status === 404 ? res.status : undefined;
  });
  assert.equal(status, 404);
});
