import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSchedulerInput } from './input.js';
import { schedule } from './schedule.js';
import { parseSnapshot, snapshotWrites } from './snapshot-store.js';
import { canonicalJson } from './canonical.js';
import { USER_MANAGED_MARKER } from './rbac.js';
import type { NodeConfig, NodeGatewayInfo, ScheduleResult, ServiceInfo } from './types.js';
import { GiB, MiB, appSpec, applyWrites, bootedZone, deviceInfo, instanceReport, userSettings } from './fixtures/zone.js';

const NOW = 1_700_000_100;

function run(dump: Record<string, string>, now = NOW): ScheduleResult {
  return schedule(buildSchedulerInput(dump), parseSnapshot(dump['system/scheduler/snapshot']), now);
}

/** One pass applied the way the loop applies it: writes + snapshot in one transaction. */
function step(dump: Record<string, string>, now = NOW): { dump: Record<string, string>; result: ScheduleResult } {
  const result = run(dump, now);
  if (!result.changed) return { dump, result };
  return { dump: applyWrites(dump, { ...result.writes, ...snapshotWrites(result.snapshot, dump) }), result };
}

function converge(dump: Record<string, string>, now = NOW): Record<string, string> {
  let d = dump;
  for (let i = 0; i < 5; i++) {
    const s = step(d, now);
    if (!s.result.changed) return d;
    d = s.dump;
  }
  throw new Error('did not converge in 5 passes');
}

const nodeConfig = (dump: Record<string, string>, node: string) => JSON.parse(dump[`nodes/${node}/config`]) as NodeConfig;
const reasonOf = (dump: Record<string, string>, specId: string, node: string) =>
  parseSnapshot(dump['system/scheduler/snapshot'])!.placements[specId].instances.find((i) => i.node === node)?.reason;

/** A booted zone whose OOD reports in, plus a NAS node. */
function zoneWithNas(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...bootedZone(),
    'devices/ood1/info': deviceInfo('ood1', { updateTime: NOW - 5, allIp: ['192.168.1.10'] }),
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, totalMem: 8 * GiB, memUsage: 1 * GiB, allIp: ['192.168.1.20'] }),
    ...extra,
  };
}

test('same input twice gives byte-identical output', () => {
  const dump = zoneWithNas({
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
    'users/alice/apps/filedrop/spec': appSpec('alice', 'filedrop', { appIndex: 11, count: 2 }),
  });
  const a = run(dump);
  const b = run(structuredClone(dump));
  assert.equal(canonicalJson(a), canonicalJson(b));
  assert.ok(a.actions.length > 0);
  // Key order of the dump must not matter either.
  const reversed = Object.fromEntries(Object.entries(dump).reverse());
  assert.equal(canonicalJson(run(reversed)), canonicalJson(a));
});

test('a converged zone gives zero actions and zero writes, even when memory usage and report times move', () => {
  let dump = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) }));
  const again = run(dump);
  assert.equal(again.changed, false);
  assert.deepEqual(again.actions, []);
  assert.deepEqual(again.writes, {});

  dump = {
    ...dump,
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 1, totalMem: 8 * GiB, memUsage: 3 * GiB, allIp: ['192.168.1.20'] }),
  };
  const noisy = run(dump, NOW + 2);
  assert.equal(noisy.changed, false);
  assert.deepEqual(noisy.writes, {});
});

test('the first pass after boot leaves the boot-written RBAC tail and gateway info alone', () => {
  const dump = { ...bootedZone(), 'devices/ood1/info': deviceInfo('ood1', { updateTime: NOW - 5 }) };
  const r = run(dump);
  assert.equal(r.writes['system/rbac/policy'], undefined);
  assert.equal(r.writes['nodes/ood1/gateway_info'], undefined);
  // The kernel services are placed on the OOD and their specs move new → running.
  assert.deepEqual(Object.keys(nodeConfig(applyWrites(dump, r.writes), 'ood1').kernel).sort(), ['app-manager', 'repo-service', 'scheduler', 'verify-hub']);
  assert.deepEqual(r.writes['services/scheduler/spec'], { action: 'set_by_path', all_set: { '/state': 'running' } });
});

test('every action carries a machine-readable reason', () => {
  const r = run(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) }));
  for (const a of r.actions) {
    assert.match(a.reason.code, /^[a-z]+:[a-z-]+$/, `${a.type} ${a.target}`);
    assert.ok(a.reason.detail.length > 0);
  }
  const kernel = r.actions.find((a) => a.type === 'place_instance' && a.target === 'verify-hub@ood1');
  assert.equal(kernel?.reason.code, 'filter:only-candidate');
  assert.match(kernel.reason.detail, /filter:not-ood: nas/);
  const app = r.actions.find((a) => a.type === 'place_instance' && a.target === 'notes@alice@nas');
  assert.equal(app?.reason.code, 'score:spread');
});

test('placement: not enough memory filters a node and the reason says so', () => {
  const dump = zoneWithNas({ 'users/alice/apps/big/spec': appSpec('alice', 'big', { appIndex: 10, memory: 10 * GiB }) });
  const out = converge(dump);
  assert.ok(nodeConfig(out, 'ood1').apps['big@alice@ood1']);
  assert.equal(nodeConfig(out, 'nas').apps['big@alice@nas'], undefined);
  const reason = reasonOf(out, 'big@alice', 'ood1')!;
  assert.equal(reason.code, 'filter:only-candidate');
  assert.match(reason.detail, /filter:insufficient-memory: nas/);
});

test('placement: most free memory wins when spread is equal', () => {
  const dump = {
    ...bootedZone(),
    'devices/a/info': deviceInfo('a', { type: 'node', updateTime: NOW - 5, totalMem: 8 * GiB, memUsage: 6 * GiB }),
    'devices/b/info': deviceInfo('b', { type: 'node', updateTime: NOW - 5, totalMem: 8 * GiB, memUsage: 1 * GiB }),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
  };
  const out = converge(dump);
  assert.equal(reasonOf(out, 'notes@alice', 'b')?.code, 'score:most-free-memory');
});

test('placement: a container-only app goes only where containers run; no package for the arch is filtered', () => {
  const dump = zoneWithNas({
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, supportContainer: true, arch: 'aarch64' }),
    'users/alice/apps/img/spec': appSpec('alice', 'img', { appIndex: 10, pkgList: { aarch64_docker_image: { pkg_id: 'img#1' } } }),
    'users/alice/apps/native/spec': appSpec('alice', 'native', { appIndex: 11, pkgList: { amd64_linux_app: { pkg_id: 'native#1' } } }),
  });
  const out = converge(dump);
  assert.ok(nodeConfig(out, 'nas').apps['img@alice@nas']);
  assert.match(reasonOf(out, 'img@alice', 'nas')!.detail, /filter:arch-mismatch: ood1/);
  assert.ok(nodeConfig(out, 'ood1').apps['native@alice@ood1']);
  assert.match(reasonOf(out, 'native@alice', 'ood1')!.detail, /filter:arch-mismatch: nas/);

  const noContainers = zoneWithNas({
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, supportContainer: false }),
    'users/alice/apps/img/spec': appSpec('alice', 'img', { appIndex: 10, pkgList: { amd64_docker_image: { pkg_id: 'img#1' } } }),
  });
  const snap = parseSnapshot(converge(noContainers)['system/scheduler/snapshot'])!;
  assert.equal(snap.placements['img@alice'].instances.length, 0);
  assert.equal(snap.placements['img@alice'].unplaced?.code, 'filter:no-candidate');
  assert.match(snap.placements['img@alice'].unplaced.detail, /filter:no-container-support: nas, ood1/);
});

test('placement: node_affinity is a hard filter', () => {
  const out = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, affinity: 'ood1' }) }));
  assert.ok(nodeConfig(out, 'ood1').apps['notes@alice@ood1']);
  assert.match(reasonOf(out, 'notes@alice', 'ood1')!.detail, /filter:affinity: nas/);
});

test('placement: a user resource pool keeps apps off nodes of another pool', () => {
  let dump = converge(zoneWithNas());
  const nas = nodeConfig(dump, 'nas');
  dump = { ...dump, 'nodes/nas/config': JSON.stringify({ ...nas, res_pool_id: 'lab' }), 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) };
  const out = converge(dump);
  assert.ok(nodeConfig(out, 'ood1').apps['notes@alice@ood1']);
  assert.match(reasonOf(out, 'notes@alice', 'ood1')!.detail, /filter:resource-pool: nas/);
});

test('placement: a node that is not ready gets nothing new', () => {
  const out = converge(zoneWithNas({
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, state: 'Maintenance' }),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
  }));
  assert.match(reasonOf(out, 'notes@alice', 'ood1')!.detail, /filter:node-not-ready: nas/);
  assert.equal(parseSnapshot(out['system/scheduler/snapshot'])!.nodes.nas.status, 'not-ready');
});

test('self-healing: an app on a node that went away is re-placed, with the reason', () => {
  const placed = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) }));
  assert.ok(nodeConfig(placed, 'nas').apps['notes@alice@nas']);

  // The NAS stops updating its info; 60 s later it is gone (threshold 45 s) while ood1 keeps reporting.
  const later = NOW + 60;
  const silent = { ...placed, 'devices/ood1/info': deviceInfo('ood1', { updateTime: later - 2, allIp: ['192.168.1.10'] }) };
  const { dump: moved, result } = step(silent, later);
  const place = result.actions.find((a) => a.type === 'place_instance');
  assert.equal(place?.target, 'notes@alice@ood1');
  assert.equal(place?.reason.code, 'replace:node-gone');
  assert.equal(result.actions.find((a) => a.type === 'stop_instance')?.target, 'notes@alice@nas');
  assert.equal(nodeConfig(moved, 'ood1').apps['notes@alice@ood1'].target_state, 'started');
  assert.equal(nodeConfig(moved, 'nas').apps['notes@alice@nas'].target_state, 'stopped');
  assert.equal(reasonOf(moved, 'notes@alice', 'ood1')?.code, 'replace:node-gone');
  assert.equal(parseSnapshot(moved['system/scheduler/snapshot'])!.nodes.nas.status, 'gone');

  // With no running instance reported from the NAS the stopped entry is dropped on the next pass.
  const { dump: dropped, result: r2 } = step(moved, later + 1);
  assert.equal(r2.actions.find((a) => a.type === 'drop_instance')?.target, 'notes@alice@nas');
  assert.equal(nodeConfig(dropped, 'nas').apps['notes@alice@nas'], undefined);
  assert.equal(run(dropped, later + 2).changed, false);
  // The original reason survives later passes.
  assert.equal(reasonOf(dropped, 'notes@alice', 'ood1')?.code, 'replace:node-gone');
});

test('after a wake (sleep, clock jump, restart) every heartbeat looks old: no node is gone until it has had the grace period to report', () => {
  const placed = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) }));
  // The OOD slept for an hour. Its own node-daemon reports at once on waking; the NAS's info is an hour
  // old until its next report gets through.
  const woke = NOW + 3600;
  const awake: Record<string, string> = { ...placed, 'devices/ood1/info': deviceInfo('ood1', { updateTime: woke, allIp: ['192.168.1.10'] }) };
  const passAt = (now: number, listeningSince?: number, dump: Record<string, string> = awake) =>
    schedule(buildSchedulerInput(dump, { listeningSince }), parseSnapshot(dump['system/scheduler/snapshot']), now);
  const blind = passAt(woke + 1);
  assert.ok(blind.actions.some((a) => a.reason.code === 'replace:node-gone'), 'without the grace the wake moves the app (the failure this prevents)');

  const graced = passAt(woke + 1, woke);
  assert.equal(graced.actions.filter((a) => a.reason.code === 'replace:node-gone').length, 0);
  assert.equal(graced.snapshot.nodes.nas.status, 'ready');
  assert.equal(graced.nextDeadline, woke + 45, 'the loop looks again when the grace ends');

  // A node that still has not reported when the grace is over is gone after all.
  const after = passAt(woke + 46, woke, { ...awake, 'devices/ood1/info': deviceInfo('ood1', { updateTime: woke + 40, allIp: ['192.168.1.10'] }) });
  assert.ok(after.actions.some((a) => a.type === 'place_instance' && a.target === 'notes@alice@ood1' && a.reason.code === 'replace:node-gone'));
});

test('self-healing holds an instance in place when no other node can take it', () => {
  const placed = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, affinity: 'nas' }) }));
  const { result } = step(placed, NOW + 60);
  assert.equal(result.actions.filter((a) => a.type === 'stop_instance' || a.type === 'place_instance').length, 0);
  assert.equal(result.snapshot.placements['notes@alice'].instances[0].reason.code, 'hold:no-candidate');
});

test('service_info comes from live reports only; an expired report drops out', () => {
  const dump = converge(zoneWithNas({
    'services/verify-hub/instances/ood1': instanceReport('verify-hub', 'ood1', { port: 3300, now: NOW }),
    'services/repo-service/instances/ood1': instanceReport('repo-service', 'ood1', { port: 4000, now: NOW, state: 'deploying' }),
  }));
  const info = JSON.parse(dump['services/verify-hub/info']) as ServiceInfo;
  assert.deepEqual(info, {
    selector_type: 'random',
    node_list: { ood1: { node_did: 'did:web:ood1.alice.example.com', state: 'started', weight: 100, service_port: { www: 3300 } } },
  });
  assert.deepEqual((JSON.parse(dump['services/repo-service/info']) as ServiceInfo).node_list, {});

  const { dump: expired, result } = step(dump, NOW + 31);
  assert.deepEqual((JSON.parse(expired['services/verify-hub/info']) as ServiceInfo).node_list, {});
  assert.equal(result.actions.find((a) => a.target === 'services/verify-hub/info')?.reason.code, 'report:no-live-instance');
  assert.equal(run(dump, NOW + 10).nextDeadline, NOW + 30);
});

test('a report of the session in its node heartbeat lives with the heartbeat; a silent node takes every report with it', () => {
  const liveOn = (dump: Record<string, string>, now: number) =>
    Object.keys((JSON.parse(converge(dump, now)['services/verify-hub/info']) as ServiceInfo).node_list);
  const zone = (infoAt: number, reportSession: string) => zoneWithNas({
    'devices/ood1/info': deviceInfo('ood1', { updateTime: infoAt, allIp: ['192.168.1.10'], sessionId: 's2' }),
    'services/verify-hub/instances/ood1': instanceReport('verify-hub', 'ood1', { port: 3300, now: NOW - 200, sessionId: reportSession }),
  });
  assert.deepEqual(liveOn(zone(NOW - 5, 's2'), NOW), ['ood1'], 'expires_at long past, but the same session still beats');
  assert.deepEqual(liveOn(zone(NOW - 5, 's1'), NOW), [], 'a report of an earlier session counts only until its expires_at');
  assert.deepEqual(liveOn(zone(NOW - 46, 's2'), NOW), [], 'the node is gone, and its report with it');
  assert.equal(run(zone(NOW - 5, 's2'), NOW).nextDeadline, NOW - 5 + 45);
  const fresh = zoneWithNas({
    'devices/ood1/info': deviceInfo('ood1', { updateTime: NOW - 46, allIp: ['192.168.1.10'] }),
    'services/verify-hub/instances/ood1': instanceReport('verify-hub', 'ood1', { port: 3300, now: NOW, ttl: 90 }),
  });
  assert.deepEqual(liveOn(fresh, NOW), [], 'an unexpired expires_at does not outlive a silent node');
});

test('service_info of an app is keyed by node and removed when the app and its reports are gone', () => {
  let dump = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, affinity: 'nas' }) }));
  dump = converge({ ...dump, 'services/notes@alice/instances/nas': instanceReport('notes@alice', 'nas', { port: 10161, now: NOW }) });
  assert.deepEqual(Object.keys((JSON.parse(dump['services/notes@alice/info']) as ServiceInfo).node_list), ['nas']);
  const gw = JSON.parse(dump['nodes/ood1/gateway_info']) as NodeGatewayInfo;
  assert.deepEqual(gw.app_info.notes, { app_id: 'notes', access_mode: 'private', node_id: 'nas', port: 10161 });

  delete dump['users/alice/apps/notes/spec'];
  delete dump['services/notes@alice/instances/nas'];
  const out = converge(dump);
  assert.equal(out['services/notes@alice/info'], undefined);
  assert.equal((JSON.parse(out['nodes/ood1/gateway_info']) as NodeGatewayInfo).app_info.notes, undefined);
});

test('removal: a deleted spec stops its instance, marks it deleted, and drops it once the node stopped it', () => {
  let dump = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, affinity: 'ood1' }) }));
  dump = { ...dump, 'services/notes@alice/instances/ood1': instanceReport('notes@alice', 'ood1', { port: 10160, now: NOW }) };
  const spec = JSON.parse(dump['users/alice/apps/notes/spec']);
  dump['users/alice/apps/notes/spec'] = JSON.stringify({ ...spec, state: 'deleted' });

  const { dump: stopped, result } = step(dump);
  assert.equal(result.actions.find((a) => a.type === 'stop_instance')?.reason.code, 'remove:spec-deleted');
  const entry = nodeConfig(stopped, 'ood1').apps['notes@alice@ood1'];
  assert.equal(entry.target_state, 'stopped');
  assert.equal(entry.app_spec.state, 'deleted');
  assert.ok(!stopped['system/rbac/policy'].includes('g, notes, app'));
  // Still reported running: the tombstone stays.
  assert.equal(run(stopped).changed, false);
  // The node reports it stopped: the entry goes.
  const done = converge({ ...stopped, 'services/notes@alice/instances/ood1': instanceReport('notes@alice', 'ood1', { port: 10160, now: NOW, state: 'stopped' }) });
  assert.equal(nodeConfig(done, 'ood1').apps['notes@alice@ood1'], undefined);
});

test('a stopped spec keeps its entry with target_state stopped, and starting it again reuses the node', () => {
  let dump = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }) }));
  const spec = JSON.parse(dump['users/alice/apps/notes/spec']);
  dump['users/alice/apps/notes/spec'] = JSON.stringify({ ...spec, state: 'stopped' });
  dump = converge(dump);
  assert.equal(nodeConfig(dump, 'nas').apps['notes@alice@nas'].target_state, 'stopped');
  dump['users/alice/apps/notes/spec'] = JSON.stringify({ ...spec, state: 'running' });
  const { dump: out, result } = step(dump);
  assert.equal(result.actions.find((a) => a.type === 'start_instance')?.target, 'notes@alice@nas');
  assert.equal(nodeConfig(out, 'nas').apps['notes@alice@nas'].target_state, 'started');
});

test('an app entry carries the spec, the port hint 10000 + 16·app_index, and updates when the spec changes', () => {
  let dump = converge(zoneWithNas({ 'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 12, affinity: 'nas' }) }));
  const entry = nodeConfig(dump, 'nas').apps['notes@alice@nas'];
  assert.deepEqual(entry.service_ports_config, { www: 10000 + 16 * 12 });
  assert.equal(entry.node_id, 'nas');
  assert.equal(entry.app_spec.state, 'running');
  assert.equal(JSON.parse(dump['users/alice/apps/notes/spec']).state, 'running');

  dump['users/alice/apps/notes/spec'] = JSON.stringify({ ...JSON.parse(appSpec('alice', 'notes', { appIndex: 12, affinity: 'nas', version: '1.1.0' })), state: 'running' });
  const { dump: out, result } = step(dump);
  assert.equal(result.actions.find((a) => a.type === 'update_instance')?.target, 'notes@alice@nas');
  assert.equal(nodeConfig(out, 'nas').apps['notes@alice@nas'].app_spec.app_doc.version, '1.1.0');
});

test('RBAC tail: users, nodes and apps are derived; lines under "# user-managed" are kept', () => {
  let dump = converge(zoneWithNas({
    'users/bob/settings': userSettings('bob'),
    'users/carol/settings': userSettings('carol', 'limited'),
    'users/dave/settings': userSettings('dave', 'user', 'deleted'),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10 }),
  }));
  const policy = dump['system/rbac/policy'];
  for (const line of ['g, alice, admin', 'g, su_alice, su_admin', 'g, bob, users', 'p, su_bob, obj://config/users/bob/settings, read,allow', 'p, su_bob, obj://config/security/verify-hub/passwords/bob, write,allow',
    'g, carol, limited', 'g, ood1, ood', 'g, nas, node', 'g, notes, app', 'g, scheduler, kernel', 'g, app-manager, system']) {
    assert.ok(policy.split('\n').includes(line), line);
  }
  assert.ok(!policy.includes('dave'), 'deleted users get no lines');

  dump['system/rbac/policy'] = `${policy}g, eve, admin\np, eve, obj://config/x, read,allow\n`;
  dump['users/bob/settings'] = userSettings('bob', 'user', 'deleted');
  const { dump: out, result } = step(dump);
  assert.equal(result.actions.find((a) => a.type === 'update_rbac')?.reason.code, 'rbac:derived');
  const kept = out['system/rbac/policy'];
  assert.ok(!kept.includes('g, bob, users'));
  assert.ok(kept.endsWith(`${USER_MANAGED_MARKER}\ng, eve, admin\np, eve, obj://config/x, read,allow\n`));
  assert.equal(run(out).changed, false);
});

test('gateway_info: routes to the other nodes, apps, services and the control-panel shortcut', () => {
  const dump = converge(zoneWithNas({
    'devices/nas/info': deviceInfo('nas', { type: 'node', updateTime: NOW - 5, ips: ['10.0.0.20'], allIp: ['192.168.1.20'] }),
    'services/control-panel/instances/ood1': instanceReport('control-panel', 'ood1', { port: 4020, now: NOW }),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, affinity: 'nas' }),
  }));
  const ood1 = JSON.parse(dump['nodes/ood1/gateway_info']) as NodeGatewayInfo;
  assert.deepEqual(ood1.node_info, { this_node_id: 'ood1', this_zone_host: 'alice.example.com' });
  // through an rtcp tunnel to the NAS (issue 12), its addresses as hints; no plain-HTTP route
  assert.deepEqual(ood1.routes, { nas: [{ id: 'nas-rtcp', kind: 'rtcp_direct', url: 'rtcp://nas/', backup: false, addresses: ['10.0.0.20'] }] });
  assert.deepEqual(ood1.service_info['control-panel'], { selector: { ood1: { port: 4020, weight: 100 } } });
  assert.deepEqual(ood1.app_info._, { service_id: 'control-panel', selector: { ood1: { port: 4020, weight: 100 } } });
  assert.deepEqual(ood1.app_info.notes, { app_id: 'notes', access_mode: 'private', node_id: 'nas', port: 10160 });
  assert.deepEqual(ood1.trust_key, {});
  const nas = JSON.parse(dump['nodes/nas/gateway_info']) as NodeGatewayInfo;
  assert.deepEqual(Object.keys(nas.routes), ['ood1']);
  assert.equal(nas.routes.ood1[0].url, 'rtcp://ood1/');
  assert.deepEqual(nas.routes.ood1[0].addresses, ['192.168.1.10']);
  assert.deepEqual(nas.app_info, ood1.app_info);
});

test('malformed input is skipped with a reason and never throws or writes through a prototype', () => {
  const dump = zoneWithNas({
    'devices/broken/info': '{not json',
    'devices/__proto__/info': deviceInfo('x', { updateTime: NOW }),
    'users/alice/apps/bad/spec': JSON.stringify({ app_doc: { pkg_list: {} }, app_index: 10 }),
    'users/alice/apps/huge/spec': appSpec('alice', 'huge', { appIndex: 99999 }),
    'services/x/instances/ood1': JSON.stringify({ state: 'started', service_ports: { www: 'eighty' }, expires_at: NOW + 10 }),
    'nodes/nas/config': '[]',
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 10, count: 1e9 }),
  });
  const r = run(dump);
  const skipped = new Map(r.snapshot.skipped.map((s) => [s.key, s.reason]));
  assert.equal(skipped.get('devices/broken/info'), 'value is not valid JSON');
  assert.match(skipped.get('devices/__proto__/info')!, /invalid/);
  assert.match(skipped.get('users/alice/apps/bad/spec')!, /names no package/);
  assert.match(skipped.get('users/alice/apps/huge/spec')!, /app_index/);
  assert.match(skipped.get('services/x/instances/ood1')!, /port number/);
  assert.match(skipped.get('nodes/nas/config')!, /not a JSON object/);
  assert.equal(({} as Record<string, unknown>).update_time, undefined);
  // The malformed node config is replaced by a valid one; a huge instance count is capped by the nodes available.
  const out = converge(dump);
  assert.equal(nodeConfig(out, 'nas').state, 'running');
  assert.equal(parseSnapshot(out['system/scheduler/snapshot'])!.placements['notes@alice'].instances.length, 2);
});

test('a new node gets a config; a desktop client does not', () => {
  const dump = zoneWithNas({ 'devices/laptop/info': deviceInfo('laptop', { type: 'desktop', updateTime: NOW - 5 }) });
  const r = run(dump);
  assert.equal(r.actions.find((a) => a.type === 'create_node_config')?.target, 'nodes/nas/config');
  assert.equal(r.writes['nodes/laptop/config'], undefined);
  assert.equal(r.snapshot.nodes.laptop.status, 'unschedulable');
  const cfg = JSON.parse((r.writes['nodes/nas/config'] as { value: string }).value) as NodeConfig;
  assert.deepEqual({ ...cfg, kernel: undefined }, { node_id: 'nas', node_did: 'did:web:nas.alice.example.com', kernel: undefined, apps: {}, frame_services: {}, state: 'running' });
});

test('the snapshot ring keeps the last N revisions', () => {
  let dump = bootedZone();
  const revs: number[] = [];
  for (let i = 0; i < 5; i++) {
    dump = { ...dump, [`users/u${i}/settings`]: userSettings(`u${i}`) };
    const r = run(dump);
    assert.ok(r.changed);
    dump = applyWrites(dump, { ...r.writes, ...snapshotWrites(r.snapshot, dump, 3) });
    revs.push(r.snapshot.rev);
  }
  assert.deepEqual(revs, [1, 2, 3, 4, 5]);
  assert.deepEqual(Object.keys(dump).filter((k) => k.startsWith('system/scheduler/history/')).sort(), [3, 4, 5].map((r) => `system/scheduler/history/${r}`));
  assert.equal(parseSnapshot(dump['system/scheduler/history/5'])!.rev, 5);
});

test('memory numbers in a pass are shadowed so one pass does not overcommit a node', () => {
  const dump = {
    ...bootedZone(),
    'devices/a/info': deviceInfo('a', { type: 'node', updateTime: NOW - 5, totalMem: 4 * GiB, memUsage: 0 }),
    'devices/b/info': deviceInfo('b', { type: 'node', updateTime: NOW - 5, totalMem: 4 * GiB, memUsage: 0 }),
    ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`users/alice/apps/app${i}/spec`, appSpec('alice', `app${i}`, { appIndex: 10 + i, memory: 1536 * MiB })])),
  };
  const snap = parseSnapshot(converge(dump)['system/scheduler/snapshot'])!;
  const perNode = new Map<string, number>();
  for (const p of Object.values(snap.placements)) for (const i of p.instances) perNode.set(i.node, (perNode.get(i.node) ?? 0) + 1);
  assert.deepEqual([...perNode.entries()].sort(), [['a', 2], ['b', 2]]);
  const apps = Object.values(snap.placements).filter((p) => p.kind === 'app');
  assert.equal(apps.filter((p) => p.unplaced?.code === 'filter:no-candidate').length, 2);
  assert.match(apps.find((p) => p.unplaced)!.unplaced!.detail, /filter:insufficient-memory: a, b/);
});

test('names that are also Object.prototype members are ordinary names', () => {
  const dump = converge(zoneWithNas({
    'devices/constructor/info': deviceInfo('constructor', { type: 'node', updateTime: NOW - 5 }),
    'services/toString/spec': JSON.stringify({ enable: true, app_index: 0, expected_instance_count: 1, state: 'new', service_doc: { name: 'toString', pkg_list: {} }, spec_config: { service_config: { www: { protocol: 'http', inner_port: 4999 } } } }),
    'services/toString/instances/constructor': instanceReport('toString', 'constructor', { port: 4999, now: NOW }),
    'users/alice/apps/valueOf/spec': appSpec('alice', 'valueOf', { appIndex: 10, affinity: 'constructor' }),
  }));
  assert.ok(Object.hasOwn(nodeConfig(dump, 'constructor').apps, 'valueOf@alice@constructor'));
  assert.ok(Object.hasOwn(nodeConfig(dump, 'ood1').kernel, 'toString'));
  assert.deepEqual(Object.keys((JSON.parse(dump['services/toString/info']) as ServiceInfo).node_list), ['constructor']);
  assert.equal(run(dump).changed, false);
});

test('an app named like a node, a user or a kernel id is skipped: no placement, no RBAC group', () => {
  const dump = converge(zoneWithNas({
    'users/alice/apps/nas/spec': appSpec('alice', 'nas', { appIndex: 12 }),
    'users/alice/apps/alice/spec': appSpec('alice', 'alice', { appIndex: 13 }),
    'users/alice/apps/scheduler/spec': appSpec('alice', 'scheduler', { appIndex: 14 }),
    'users/alice/apps/notes/spec': appSpec('alice', 'notes', { appIndex: 15 }),
  }));
  const input = buildSchedulerInput(dump);
  for (const id of ['nas', 'alice', 'scheduler']) {
    assert.ok(input.skipped.some((s) => s.key === `users/alice/apps/${id}/spec` && /needs a name of its own/.test(s.reason)), id);
    assert.equal(Object.keys(nodeConfig(dump, 'ood1').apps).concat(Object.keys(nodeConfig(dump, 'nas').apps)).some((k) => k.startsWith(`${id}@`)), false, id);
  }
  const policy = dump['system/rbac/policy'];
  assert.match(policy, /^g, notes, app$/m);
  assert.doesNotMatch(policy, /^g, (nas|alice|scheduler), app$/m);
});
