// Issue 14, a real two-node zone (an OOD and a NAS enrolled through the CLI, real processes on two
// loopback addresses) meeting the faults a home meets: the OOD loses power while an app runs on the NAS,
// the OOD's kernel is stopped (SIGSTOP, a laptop lid) for longer than the node-gone threshold, and the
// app on the NAS crashes. The app keeps serving from the NAS while the OOD is away; the NAS reconnects
// when the OOD is back; a stopped-and-resumed OOD re-places nothing; a crashed app comes back by itself.
// (How fast a crashed app comes back is measured in bench/soak.ts, not asserted here.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  activatedOod, cli, pollUntil, powerCutTree, randomLoopback, repoRoot, spawnNode, spawnOod, stopWithApps, tempDir, waitForPort, type NodeProcess,
} from '../testing/harness.js';
import { login, type ZoneSession } from '../cli/session.js';

const GONE_AFTER_S = 5;
const TUNING = { BUCKYOS_NODE_GONE_AFTER_S: String(GONE_AFTER_S), BUCKYOS_REPORT_INTERVAL_MS: '1000' };
const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
const OOD_ARGS = ['--pkgs', fixtures];
const USER = 'alice';

const first = await activatedOod({ args: OOD_ARGS, env: TUNING });
let ood: NodeProcess = first.ood;
const { env, mnemonic, dir } = first;
const nodeDir = await tempDir('buckyos-node-');
const nodeHost = randomLoopback();
const node = spawnNode(nodeDir.path, nodeHost, OOD_ARGS, TUNING);
after(async () => {
  try { process.kill(ood.child.pid!, 'SIGCONT'); } catch { /* gone */ }
  await Promise.all([stopWithApps(node), stopWithApps(ood)]);
  await Promise.all([dir.remove(), nodeDir.remove()]);
});

const logs = () => `--- OOD ---\n${ood.log().slice(-2500)}\n--- node ---\n${node.log().slice(-2500)}`;
const waitFor = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) => pollUntil(what, probe, { timeoutMs, context: logs });
let session: ZoneSession = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
const get = async (key: string) => (await session.client('system_config').call<{ value: string } | null>('sys_config_get', { key }))?.value;
const set = (key: string, value: string) => session.client('system_config').call('sys_config_set', { key, value });

interface Report { state: string; pid: number }
const reportOn = async (app: string, nodeName: string) => {
  const text = await get(`services/${app}@${USER}/instances/${nodeName}`);
  return text ? (JSON.parse(text) as Report) : undefined;
};
const startedOn = (app: string, nodeName: string, notPid = 0) => waitFor(`${app} started on ${nodeName}${notPid ? ` with a pid other than ${notPid}` : ''}`, async () => {
  const r = await reportOn(app, nodeName);
  return r?.state === 'started' && r.pid !== notPid ? r : undefined;
});
const viaGateway = async (gatewayHost: string, app: string) => {
  const res = await fetch(`http://${gatewayHost}:3180/apps/${app}/`, { signal: AbortSignal.timeout(3000) });
  return res.ok ? ((await res.json()) as { pid: number }) : undefined;
};
const snapshot = async () => {
  const text = await get('system/scheduler/snapshot');
  return text ? (JSON.parse(text) as { rev: number; nodes: Record<string, { status: string }> }) : undefined;
};
const isAlive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

const joinCode = await waitFor('the node to print its join code', async () => /Join code: (\S+)/.exec(node.log())?.[1]);
await waitForPort(nodeHost, 3182);
const enrolled = await cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--device', `http://${nodeHost}:3182`, '--name', 'nas1', '--code', joinCode, '--mnemonic', mnemonic]);
assert.equal(enrolled.code, 0, enrolled.stderr);
await waitFor('nas1 ready', async () => ((await snapshot())?.nodes.nas1?.status === 'ready' ? true : undefined));

// An app placed on the NAS by affinity, then freed of it: it stays where it is (minimal change) and
// would move to the OOD only if the NAS were judged gone.
await set(`users/${USER}/apps/stays/spec`, JSON.stringify({
  installation_id: 'stays', user_id: USER, app_class: 'UserInstalled', app_index: 31,
  app_doc: { name: 'stays', version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
  enable: true, expected_instance_count: 1, state: 'new', node_affinity: 'nas1',
  spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
}));
let onNas: { pid: number } = await startedOn('stays', 'nas1');
{
  const spec = JSON.parse((await get(`users/${USER}/apps/stays/spec`))!) as Record<string, unknown>;
  delete spec.node_affinity;
  await set(`users/${USER}/apps/stays/spec`, JSON.stringify(spec));
}

test('the OOD stopped (SIGSTOP) for longer than the node-gone threshold, then resumed: nothing is re-placed, the NAS is ready again', async () => {
  await waitFor('stays through the OOD gateway', async () => ((await viaGateway(ood.host, 'stays'))?.pid === onNas.pid ? true : undefined));
  const revBefore = (await snapshot())!.rev;
  process.kill(ood.child.pid!, 'SIGSTOP');
  await sleep((GONE_AFTER_S + 4) * 1000);
  // Meanwhile the NAS saw its OOD silent; its app kept serving on its own gateway.
  assert.equal((await viaGateway(nodeHost, 'stays'))?.pid, onNas.pid, 'the app on the NAS stopped serving while the OOD slept');
  process.kill(ood.child.pid!, 'SIGCONT');

  // Watch for a while after the wake: the NAS must never be called gone, and the app must not move.
  const until = Date.now() + (GONE_AFTER_S + 5) * 1000;
  while (Date.now() < until) {
    const snap = await snapshot().catch(() => undefined);
    if (snap) assert.notEqual(snap.nodes.nas1?.status, 'gone', `the scheduler called nas1 gone after the wake (rev ${revBefore} → ${snap.rev})`);
    assert.equal(await reportOn('stays', 'ood1').catch(() => undefined), undefined, 'stays was re-placed on the OOD after the wake');
    await sleep(300);
  }
  assert.equal((await startedOn('stays', 'nas1')).pid, onNas.pid, 'the app on the NAS was restarted');
  assert.equal((await snapshot())?.nodes.nas1?.status, 'ready');
  assert.equal((await viaGateway(ood.host, 'stays'))?.pid, onNas.pid);
});

test('the OOD loses power: the app on the NAS keeps serving; the NAS reconnects when the OOD is back, and nothing moves', async () => {
  await powerCutTree(ood);
  const cutAt = Date.now();
  // The NAS's gateway routes to its own app without the OOD, for well past the node-gone threshold.
  while (Date.now() - cutAt < (GONE_AFTER_S + 3) * 1000) {
    const answer = await waitFor('stays through the NAS gateway with the OOD down', () => viaGateway(nodeHost, 'stays'), 10_000);
    assert.equal(answer.pid, onNas.pid, 'the app on the NAS was restarted while the OOD was down');
    await sleep(500);
  }
  assert.ok(isAlive(onNas.pid));

  ood = spawnOod(dir.path, first.ood.host, OOD_ARGS, TUNING);
  await waitForPort(first.ood.host, 3180, 90_000);
  session = await waitFor('a login after the OOD is back', () => login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD }));
  // The NAS reports to the OOD again (its device info is fresh) and its app is where it was.
  const since = Date.now() / 1000;
  await waitFor('nas1 reporting to the OOD again', async () => {
    const info = JSON.parse((await get('devices/nas1/info')) ?? '{}') as { update_time?: number };
    return (info.update_time ?? 0) >= since - 1 && (await snapshot())?.nodes.nas1?.status === 'ready' ? true : undefined;
  });
  assert.equal((await startedOn('stays', 'nas1')).pid, onNas.pid);
  await sleep((GONE_AFTER_S + 2) * 1000);
  assert.equal(await reportOn('stays', 'ood1'), undefined, 'stays was re-placed on the OOD after the OOD came back');
  assert.equal((await viaGateway(ood.host, 'stays'))?.pid, onNas.pid);
});

test('an app that crashes on the NAS is restarted by the NAS, again and again, with the OOD up or down', async () => {
  for (let crash = 1; crash <= 3; crash++) {
    if (crash === 3) await powerCutTree(ood);
    process.kill(onNas.pid, 'SIGKILL');
    const before = onNas.pid;
    onNas = await waitFor(`stays running again on the NAS after crash ${crash}`, async () => {
      const a = await viaGateway(nodeHost, 'stays');
      return a && a.pid !== before ? a : undefined;
    });
    assert.ok(isAlive(onNas.pid));
  }
  ood = spawnOod(dir.path, first.ood.host, OOD_ARGS, TUNING);
  await waitForPort(first.ood.host, 3180, 90_000);
});
