import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppEntryError, fsName, isSafeId, parseNodeConfig, platformSlot, resolveAppTarget, sameLaunch, type AppInstanceConfig } from './node-config.js';

const entry = (over: Partial<AppInstanceConfig> = {}, spec: Record<string, unknown> = {}): AppInstanceConfig => ({
  target_state: 'started',
  node_id: 'n1',
  app_spec: { installation_id: 'appinst:abc', user_id: 'alice', app_doc: { pkg_list: { script: { pkg_id: 'echo-app#1.0.0' } } }, ...spec },
  service_ports_config: { www: 10016 },
  ...over,
});
const node = { name: 'n1', supportContainer: false, slot: { arch: 'amd64', os: 'linux' } };

test('an absent config is empty and running; a non-object is refused', () => {
  const empty = parseNodeConfig(undefined, 'n1');
  assert.deepEqual([empty.apps, empty.kernel, empty.state], [{}, {}, 'running']);
  assert.throws(() => parseNodeConfig('{not json', 'n1'), (e: Error & { code?: string }) => e.code === 'INVALID_PARAMS');
  assert.throws(() => parseNodeConfig('[1,2]', 'n1'), /must be a JSON object/);
  assert.throws(() => parseNodeConfig('{"apps": 5}', 'n1'), /config\.apps must be an object/);
});

test('config sections keep object entries and drop the rest', () => {
  const cfg = parseNodeConfig(JSON.stringify({ node_id: 'n1', apps: { a: entry(), b: 7 }, kernel: { 'verify-hub': { target_state: 'started' } }, state: 'running' }), 'n1');
  assert.deepEqual(Object.keys(cfg.apps), ['a']);
  assert.deepEqual(Object.keys(cfg.kernel), ['verify-hub']);
});

test('an app entry resolves to its spec id, package and port hint', () => {
  const t = resolveAppTarget('appinst:abc@alice@n1', entry(), node);
  assert.equal(t.specId, 'appinst:abc@alice');
  assert.equal(t.pkgId, 'echo-app#1.0.0');
  assert.equal(t.portHint, 10016);
});

test('a native package for this platform is used when there is no script package', () => {
  const t = resolveAppTarget('i@u@n1', entry({}, { installation_id: 'i', user_id: 'u', app_doc: { pkg_list: { amd64_linux_app: { pkg_id: 'native#2.0.0' } } } }), node);
  assert.equal(t.pkgId, 'native#2.0.0');
});

test('without installation_id/user_id in app_spec, the instance id names them', () => {
  const t = resolveAppTarget('notes@alice@n1', entry({}, { installation_id: undefined, user_id: undefined }), node);
  assert.deepEqual([t.specId, t.installationId, t.userId], ['notes@alice', 'notes', 'alice']);
});

test('an instance id and an app_spec that name different apps or users are refused', () => {
  for (const spec of [{ installation_id: 'other' }, { user_id: 'mallory' }]) {
    assert.throws(() => resolveAppTarget('appinst:abc@alice@n1', entry({}, spec), node),
      (e: unknown) => e instanceof AppEntryError && e.specId === 'appinst:abc@alice' && /must name the same app and user/.test(e.message));
  }
});

test('unsafe ids are refused before they reach a path or a KV key', () => {
  for (const [id, spec] of [['../../etc@u@n1', {}], ['ok@u@n1', { user_id: '../root' }], ['ok@u@n1', { installation_id: 'a/b' }], ['ok@u@n1', { user_id: 5 }], ['x@n1', { installation_id: undefined, user_id: undefined }]] as const) {
    assert.throws(() => resolveAppTarget(id, entry({}, spec), node), (e: unknown) => e instanceof AppEntryError && e.error.code === 'INVALID_PARAMS');
  }
  assert.equal(isSafeId('a..b'), false);
  assert.equal(fsName('appinst:ab@u'), 'appinst_ab@u');
});

test('an entry with a usable spec id but no runnable package reports why', () => {
  const e = (() => {
    try {
      resolveAppTarget('i@u@n1', entry({}, { installation_id: 'i', user_id: 'u', app_doc: { pkg_list: {} } }), node);
    } catch (err) {
      return err as AppEntryError;
    }
  })();
  assert.ok(e instanceof AppEntryError);
  assert.equal(e.specId, 'i@u');
  assert.match(e.error.message, /no package for this node/);
});

test('a container-only app names the missing container engine', () => {
  const spec = { installation_id: 'i', user_id: 'u', app_doc: { pkg_list: { amd64_docker_image: { pkg_id: 'img#1.0.0', docker_image_name: 'x' } } } };
  assert.throws(() => resolveAppTarget('i@u@n1', entry({}, spec), node), (e: unknown) => e instanceof AppEntryError && /no container engine/.test(e.message) && e.error.code === 'FAILED_PRECONDITION');
  assert.throws(() => resolveAppTarget('i@u@n1', entry({}, spec), { ...node, supportContainer: true }), /container runtime is not available/);
});

test('the port hint must be a real port', () => {
  for (const www of [0, 70000, 1.5, '10016'] as unknown[]) {
    assert.throws(() => resolveAppTarget('appinst:abc@alice@n1', entry({ service_ports_config: { www: www as number } }), node), /start-port hint/);
  }
});

test('sameLaunch changes with the package or the hint, not with unrelated spec fields', () => {
  const a = resolveAppTarget('appinst:abc@alice@n1', entry(), node);
  assert.equal(sameLaunch(a, resolveAppTarget('appinst:abc@alice@n1', entry({}, { state: 'running', extra: 1 }), node)), true);
  assert.equal(sameLaunch(a, resolveAppTarget('appinst:abc@alice@n1', entry({ service_ports_config: { www: 10032 } }), node)), false);
  assert.equal(sameLaunch(a, resolveAppTarget('appinst:abc@alice@n1', entry({}, { app_doc: { pkg_list: { script: { pkg_id: 'echo-app#1.0.1' } } } }), node)), false);
});

test('platform slots use the pkg_list spelling', () => {
  assert.deepEqual(platformSlot('x64', 'linux'), { arch: 'amd64', os: 'linux' });
  assert.deepEqual(platformSlot('arm64', 'darwin'), { arch: 'aarch64', os: 'apple' });
  assert.deepEqual(platformSlot('x64', 'win32'), { arch: 'amd64', os: 'win' });
});
