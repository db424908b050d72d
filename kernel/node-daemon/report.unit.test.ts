import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KrpcError } from '../lib/errors.js';
import { silentLogger } from '../lib/log.js';
import type { NodeKv } from './kv.js';
import { ReportChannel, buildReport, reportKey, REPORT_RENEW_S, REPORT_TTL_S, type ServiceInstanceReport } from './report.js';

const node = { name: 'n1', did: 'did:bns:n1', sessionId: 's1' };

test('a started instance reports its real port, pid and an expiry REPORT_TTL_S ahead', () => {
  const r = buildReport({ instanceId: 'a@u@n1', phase: 'started', ports: { www: 10017 }, pid: 42, startTime: 900, health: 'healthy' }, node, 1000);
  assert.equal(r.state, 'started');
  assert.deepEqual(r.service_ports, { www: 10017 });
  assert.equal(r.expires_at, 1000 + REPORT_TTL_S);
  assert.equal(r.instance_epoch, 'process:42:900');
  assert.equal(r.node_session_id, 's1');
  assert.equal(r.deployment_error, undefined);
});

test('phases map to report states and failures carry a deployment_error', () => {
  const base = { instanceId: 'a@u@n1', ports: {}, pid: 0, startTime: 0, health: 'unknown' as const };
  assert.equal(buildReport({ ...base, phase: 'starting' }, node, 0).state, 'deploying');
  assert.equal(buildReport({ ...base, phase: 'restarting' }, node, 0).state, 'exited');
  const failed = buildReport({ ...base, phase: 'failed', error: new KrpcError('TIMEOUT', 'no port') }, node, 0);
  assert.equal(failed.state, 'exited');
  assert.deepEqual(failed.deployment_error, { code: 'TIMEOUT', message: 'no port' });
  assert.equal(reportKey('a@u', 'n1'), 'services/a@u/instances/n1');
});

test('report writes land in order: pushes during a slow write collapse into one write of the latest state', async () => {
  const writes: (string | null)[] = [];
  let release!: () => void;
  const firstWrite = new Promise<void>((r) => (release = r));
  const kv: NodeKv = {
    get: async () => null,
    set: async (_k, v) => {
      if (writes.length === 0) {
        writes.push(v);
        await firstWrite;
      } else writes.push(v);
    },
    delete: async () => void writes.push(null),
    watchLoop: () => ({ stop: async () => {} }),
  };
  const one = buildReport({ instanceId: 'a@u@n1', phase: 'deploying', ports: {}, pid: 0, startTime: 0, health: 'unknown' }, node, 0);
  let state: ServiceInstanceReport | null = one;
  const ch = new ReportChannel(kv, 'k', () => state, silentLogger);
  const p1 = ch.push();
  state = { ...one, state: 'started' };
  void ch.push();
  state = null;
  const p3 = ch.push();
  release();
  await Promise.all([p1, p3]);
  assert.deepEqual(writes, [JSON.stringify(one), null]);
});

function recordingChannel(render: () => ServiceInstanceReport | null, failWrites = () => false) {
  const writes: (ServiceInstanceReport | null)[] = [];
  const kv: NodeKv = {
    get: async () => null,
    set: async (_k, v) => {
      if (failWrites()) throw new KrpcError('UNAVAILABLE', 'down');
      writes.push(JSON.parse(v));
    },
    delete: async () => void writes.push(null),
    watchLoop: () => ({ stop: async () => {} }),
  };
  return { writes, channel: new ReportChannel(kv, 'k', render, silentLogger) };
}

test('an unchanged report is not rewritten until its expiry needs renewing', async () => {
  let now = 1000;
  let phase: 'started' | 'restarting' = 'started';
  const { writes, channel } = recordingChannel(() => buildReport({ instanceId: 'a@u@n1', phase, ports: { www: 10017 }, pid: 42, startTime: 900, health: 'healthy' }, node, now));
  await channel.push();
  now += 10;
  await channel.push();
  now += REPORT_RENEW_S - 11;
  await channel.push();
  assert.equal(writes.length, 1, 'same facts within the renewal window: no write');
  now += 1;
  await channel.push();
  assert.equal(writes.length, 2, 'renewed once the last write is REPORT_RENEW_S old');
  assert.equal(writes[1]!.expires_at, now + REPORT_TTL_S);
  now += 1;
  phase = 'restarting';
  await channel.push();
  assert.equal(writes.length, 3, 'a change of state is written at once');
  assert.equal(writes[2]!.state, 'exited');
});

test('an unhealthy report is rewritten on every push: each failed probe is an observation', async () => {
  let now = 1000;
  const { writes, channel } = recordingChannel(() => buildReport({ instanceId: 'a@u@n1', phase: 'started', ports: { www: 1 }, pid: 42, startTime: 900, health: 'unhealthy' }, node, now));
  await channel.push();
  now += 10;
  await channel.push();
  assert.deepEqual(writes.map((w) => w!.observed_at), [1000, 1010]);
});

test('a failed write is retried by the next push even when nothing changed', async () => {
  let down = true;
  const { writes, channel } = recordingChannel(() => buildReport({ instanceId: 'a@u@n1', phase: 'started', ports: { www: 1 }, pid: 42, startTime: 900, health: 'healthy' }, node, 1000), () => down);
  await channel.push();
  assert.equal(writes.length, 0);
  down = false;
  await channel.push();
  assert.equal(writes.length, 1);
});
