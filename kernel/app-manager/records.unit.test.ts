// Install records: parsing, the state `app list` shows, task views; and the spec the app-manager writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNodesOf, appStateOf, listEntryOf, parseInstallRecord, taskView } from './records.js';
import { buildAppSpec } from './spec.js';
import type { InstallRecord } from './types.js';
import type { InstanceReportView } from './rollout.js';

const NOW = 1_800_000_000_000;
const live = (o: Partial<InstanceReportView> = {}): InstanceReportView => ({ state: 'started', health: 'healthy', expires_at: NOW / 1000 + 30, ...o });

const rec = (o: Partial<InstallRecord> = {}, task: Partial<InstallRecord['task']> = {}): InstallRecord => ({
  installation_id: 'notes', user_id: 'alice', pkg_name: 'notes', version: '1.1.0', app_index: 20, state: 'running',
  installed_at: 1, updated_at: 1,
  task: { id: 't', kind: 'install', step: 'done', phase: 'done', to: '1.1.0', bytes: 5, total: 9, health_timeout_ms: 20_000, started_at: 1, updated_at: 1, outcome: 'succeeded', ...task },
  ...o,
});

test('parseInstallRecord refuses text that is not one of ours', () => {
  assert.equal(parseInstallRecord(undefined), undefined);
  assert.equal(parseInstallRecord('{'), undefined);
  assert.equal(parseInstallRecord('[]'), undefined);
  assert.equal(parseInstallRecord(JSON.stringify({ installation_id: 'x', pkg_name: 'x', version: '1.0.0' })), undefined);
  assert.deepEqual(parseInstallRecord(JSON.stringify(rec())), rec());
});

test('a running task decides the state', () => {
  assert.equal(appStateOf(rec({}, { step: 'converge' }), {}, NOW), 'installing');
  assert.equal(appStateOf(rec({}, { kind: 'upgrade', step: 'switch' }), { n: live() }, NOW), 'upgrading');
  assert.equal(appStateOf(rec({}, { kind: 'upgrade', step: 'converge-rollback' }), {}, NOW), 'rolling-back');
  assert.equal(appStateOf(rec({}, { kind: 'rollback', step: 'rollback' }), {}, NOW), 'rolling-back');
  assert.equal(appStateOf(rec({}, { kind: 'uninstall', step: 'remove' }), {}, NOW), 'uninstalling');
});

test('after the task, the reports decide, coloured by how the last task ended', () => {
  assert.equal(appStateOf(rec(), { ood1: live() }, NOW), 'running');
  assert.equal(appStateOf(rec({ state: 'rolled-back' }), { ood1: live() }, NOW), 'rolled-back');
  assert.equal(appStateOf(rec(), { ood1: live({ health: 'unhealthy' }) }, NOW), 'failed');
  assert.equal(appStateOf(rec(), { ood1: live({ state: 'deploying' }) }, NOW), 'starting');
  assert.equal(appStateOf(rec(), { ood1: live({ state: 'exited' }) }, NOW), 'failed');
  assert.equal(appStateOf(rec(), { ood1: live({ expires_at: NOW / 1000 - 1 }) }, NOW), 'stopped', 'an expired report is a dead instance');
  assert.equal(appStateOf(rec({ state: 'failed' }), {}, NOW), 'failed');
  assert.equal(appStateOf(rec(), {}, NOW), 'stopped');
});

test('nodes: the reporting ones, running first; else the node asked for', () => {
  assert.equal(appNodesOf(rec(), { b: live({ state: 'deploying' }), a: live(), c: live() }, NOW), 'a,c,b');
  assert.equal(appNodesOf(rec({ node: 'nas1' }), {}, NOW), 'nas1');
  assert.equal(appNodesOf(rec(), {}, NOW), '');
});

test('list entries carry progress only while a task runs, and the last rollback', () => {
  const rollback = { from: '1.2.0', to: '1.1.0', reason: 'boom', at: 2, automatic: true, task_id: 'u', data_restored: true };
  const idle = listEntryOf(rec({ state: 'rolled-back', last_rollback: rollback }), { ood1: live() }, NOW);
  assert.deepEqual(idle, { installation_id: 'notes', name: 'notes', version: '1.1.0', node: 'ood1', state: 'rolled-back', last_rollback: rollback });
  const busy = listEntryOf(rec({}, { kind: 'upgrade', step: 'converge', phase: 'downloading', from: '1.1.0', to: '1.2.0', outcome: undefined }), {}, NOW);
  assert.equal(busy.progress?.phase, 'downloading');
  assert.equal(busy.progress?.done, false);
  assert.equal(taskView(rec(), 'running').done, true);
});

test('the spec names one package for the process runtime, a port hint from the index and the rollout fields', () => {
  const spec = buildAppSpec({
    userId: 'alice', installationId: 'notes', appIndex: 21, node: 'nas1', deploymentId: 'up-1',
    pkg: { name: 'notes', version: '1.1.0', description: 'Notes', memoryMb: 64 },
    dataSnapshot: { op_id: 'up-1:take', action: 'take', snapshot_id: 'up-1' },
  });
  assert.deepEqual(spec.app_doc, { name: 'notes', version: '1.1.0', description: 'Notes', pkg_list: { script: { pkg_id: 'notes#1.1.0' } }, requirements: { memory: 64 * 1024 * 1024 } });
  assert.deepEqual(spec.spec_config, { service_config: { www: { protocol: 'http', inner_port: 10000 + 16 * 21 } } });
  assert.equal(spec.node_affinity, 'nas1');
  assert.deepEqual(spec.deployment, { installation_id: 'notes', task_id: 'up-1', pkg_id: 'notes#1.1.0' });
  assert.deepEqual(spec.data_snapshot, { op_id: 'up-1:take', action: 'take', snapshot_id: 'up-1' });
  const plain = buildAppSpec({ userId: 'alice', installationId: 'notes', appIndex: 20, deploymentId: 'i', pkg: { name: 'notes', version: '1.0.0' } });
  assert.equal('node_affinity' in plain || 'data_snapshot' in plain, false);
});
