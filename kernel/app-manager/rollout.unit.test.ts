// judgeRollout: which instance reports make a rollout healthy, failed or still under way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeRollout, transferOf, type InstanceReportView, type RolloutWatch } from './rollout.js';

const NOW = 1_800_000_000_000;
const nowS = NOW / 1000;
const watch = (o: Partial<RolloutWatch> = {}): RolloutWatch => ({ deploymentId: 't1', nowMs: NOW, deadlineAt: NOW + 20_000, hasHealthCheck: true, ...o });
const report = (o: Partial<InstanceReportView> = {}): InstanceReportView => ({
  state: 'started', health: 'healthy', expires_at: nowS + 30, observed_at: nowS, deployment: { task_id: 't1' }, ...o,
});

test('a live started+healthy report of this deployment is healthy, with what the node fetched', () => {
  const r = report({ progress: { phase: 'installed', bytes: 300, total: 300, by_phase: { download: { bytes: 120, total: 300 }, installed: { bytes: 300, total: 300 } } } });
  assert.deepEqual(judgeRollout({ ood1: r }, watch()), { kind: 'healthy', node: 'ood1', bytes: 120, total: 300 });
});

test('reports of another deployment or expired ones do not count', () => {
  assert.equal(judgeRollout({ ood1: report({ deployment: { task_id: 'old' } }) }, watch()).kind, 'waiting');
  assert.equal(judgeRollout({ ood1: report({ expires_at: nowS - 1 }) }, watch()).kind, 'waiting');
  assert.equal(judgeRollout({ ood1: report({ deployment: undefined }) }, watch()).kind, 'waiting');
});

test('health "unknown" is enough only for packages without a health check', () => {
  assert.equal(judgeRollout({ n: report({ health: 'unknown' }) }, watch()).kind, 'waiting');
  assert.equal(judgeRollout({ n: report({ health: 'unknown' }) }, watch({ hasHealthCheck: false })).kind, 'healthy');
});

test('an exited report of this deployment fails at once, with the node\'s reason', () => {
  const v = judgeRollout({ nas1: report({ state: 'exited', deployment_error: { code: 'UNAVAILABLE', message: 'exited (code 1) before it reported its port' } }) }, watch());
  assert.deepEqual(v, { kind: 'failed', reason: 'on nas1: exited (code 1) before it reported its port' });
});

test('one failed health probe waits; a later second one fails', () => {
  const first = judgeRollout({ n: report({ health: 'unhealthy', observed_at: nowS }) }, watch());
  assert.equal(first.kind, 'waiting');
  assert.equal(first.kind === 'waiting' && first.unhealthyAt, nowS);
  assert.equal(judgeRollout({ n: report({ health: 'unhealthy', observed_at: nowS }) }, watch({ unhealthyAt: nowS })).kind, 'waiting', 'the same probe twice is one probe');
  const second = judgeRollout({ n: report({ health: 'unhealthy', observed_at: nowS + 1 }) }, watch({ unhealthyAt: nowS }));
  assert.deepEqual(second, { kind: 'failed', reason: 'on n: the health check failed twice in a row' });
  const recovered = judgeRollout({ n: report({ health: 'unknown', observed_at: nowS + 1 }) }, watch({ unhealthyAt: nowS }));
  assert.equal(recovered.kind === 'waiting' && recovered.unhealthyAt, undefined, 'a probe that did not fail resets the count');
});

test('past the deadline it fails, saying whether the app ever came up', () => {
  assert.deepEqual(judgeRollout({}, watch({ deadlineAt: NOW })), { kind: 'failed', reason: 'the app did not start in time' });
  assert.deepEqual(judgeRollout({ n: report({ health: 'unknown' }) }, watch({ deadlineAt: NOW })), { kind: 'failed', reason: 'the app did not pass its health check in time' });
});

test('while waiting it names the phase a person cares about', () => {
  assert.equal((judgeRollout({}, watch()) as { phase: string }).phase, 'scheduling');
  const dl = judgeRollout({ n: report({ state: 'deploying', health: 'unknown', progress: { phase: 'download', bytes: 10, total: 100 } }) }, watch());
  assert.deepEqual(dl, { kind: 'waiting', phase: 'downloading', bytes: 10, total: 100, up: false, unhealthyAt: undefined, node: 'n' });
  const starting = judgeRollout({ n: report({ state: 'deploying', health: 'unknown' }) }, watch());
  assert.equal(starting.kind === 'waiting' && starting.phase, 'starting');
  const checking = judgeRollout({ n: report({ health: 'unknown' }) }, watch());
  assert.equal(checking.kind === 'waiting' && checking.phase, 'health-check');
  assert.equal(checking.kind === 'waiting' && checking.up, true);
});

test('transferOf: fetched bytes come from the download phase; everything from cache moved nothing', () => {
  assert.deepEqual(transferOf(report({ progress: { phase: 'installed', bytes: 0, total: 0, by_phase: { installed: { bytes: 0, total: 0 } } } })), { bytes: 0, total: 0, downloading: false });
  assert.deepEqual(transferOf(report({ progress: { phase: 'download', bytes: 5, total: 9 } })), { bytes: 5, total: 9, downloading: true });
  assert.deepEqual(transferOf(report()), { downloading: false });
});
