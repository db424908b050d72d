import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appEnv, appTokenEnvName } from './env-contract.js';
import type { AppTarget } from './node-config.js';

const target: AppTarget = {
  instanceId: 'appinst:x@alice-b@n1', specId: 'appinst:x@alice-b', installationId: 'appinst:x', userId: 'alice-b',
  pkgId: 'echo-app#1.0.0', portHint: 10016,
  entry: { target_state: 'started', node_id: 'n1', app_spec: { installation_id: 'appinst:x', user_id: 'alice-b' }, service_ports_config: { www: 10016 } },
};
const input = {
  target, token: 'tok', zoneConfigJson: '{"z":1}', thisDeviceJson: '{"d":1}', dataDir: '/d', cacheDir: '/c', logDir: '/l', pkgDir: '/p',
  bindHost: '127.9.9.9', hostGateway: '127.9.9.9',
};

test('the token variable is <OWNER>_<APPID>_TOKEN in upper case with - as _', () => {
  assert.equal(appTokenEnvName('alice-b', 'my-app'), 'ALICE_B_MY_APP_TOKEN');
  assert.equal(appTokenEnvName('alice', 'appinst:x'), 'ALICE_APPINST_X_TOKEN');
});

test('the contract variables are set and win over the package env', () => {
  const env = appEnv({ ...input, pkgEnv: { BUCKYOS_SERVICE_PORT: '1', APP_MODE: 'fast' } });
  assert.equal(env.BUCKYOS_SERVICE_PORT, '10016');
  assert.equal(env.APP_MODE, 'fast');
  assert.equal(env.ALICE_B_APPINST_X_TOKEN, 'tok');
  assert.equal(env.BUCKYOS_APP_ID, 'appinst:x');
  assert.equal(env.BUCKYOS_OWNER_USER_ID, 'alice-b');
  assert.equal(env.BUCKYOS_BIND, '127.9.9.9');
  assert.equal(env.BUCKYOS_ZONE_CONFIG, '{"z":1}');
  assert.deepEqual(JSON.parse(env.app_instance_config), target.entry);
});

test("the daemon's own environment is not passed on, except what programs need", () => {
  const env = appEnv({ ...input, inherited: { PATH: '/bin', SECRET_KEY: 'x', BUCKYOS_DATA: '/root/.buckyos' } });
  assert.equal(env.PATH, '/bin');
  assert.equal(env.SECRET_KEY, undefined);
  assert.equal(env.BUCKYOS_DATA, undefined);
});

test("inside the desktop app an app's `node` (Electron's binary) is told to run as plain Node", () => {
  assert.equal(appEnv({ ...input, inElectron: true }).ELECTRON_RUN_AS_NODE, '1');
  assert.equal(appEnv({ ...input, inElectron: false, pkgEnv: { ELECTRON_RUN_AS_NODE: '1' } }).ELECTRON_RUN_AS_NODE, '1');
  assert.equal(appEnv({ ...input }).ELECTRON_RUN_AS_NODE, undefined, 'plain Node here');
});
