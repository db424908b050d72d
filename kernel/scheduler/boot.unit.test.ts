import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildBootKeys } from './boot.js';
import { isKrpcError } from '../lib/errors.js';
import { USER_MANAGED_MARKER } from './rbac.js';
import type { KernelServiceSpec, NodeConfig, ZoneConfig } from './types.js';
import { bootInputFor } from './fixtures/zone.js';

test('boot writes every initial key', () => {
  const keys = buildBootKeys(bootInputFor({ oods: ['ood1'] }));
  assert.deepEqual(Object.keys(keys).sort(), [
    'boot/config',
    'devices/ood1/doc',
    'nodes/ood1/config',
    'nodes/ood1/gateway_config',
    'nodes/ood1/gateway_info',
    'security/verify-hub/key',
    'security/verify-hub/passwords/alice',
    'services/app-manager/spec',
    'services/gateway/settings',
    'services/repo-service/spec',
    'services/scheduler/spec',
    'services/verify-hub/settings',
    'services/verify-hub/spec',
    'system/rbac/policy',
    'system/system_pkgs',
    'users/alice/doc',
    'users/alice/profile',
    'users/alice/settings',
    'users/root/settings',
  ]);
});

test('boot/config holds the zone document and the verify-hub public key, never the private key', () => {
  const input = bootInputFor();
  const keys = buildBootKeys(input);
  const cfg = JSON.parse(keys['boot/config']) as ZoneConfig;
  assert.equal(cfg.zone_document, input.zoneDocumentJwt);
  assert.deepEqual(cfg.verify_hub_info?.public_key, { kty: 'OKP', crv: 'Ed25519', x: input.verifyHubKey.publicJwk.x });
  assert.equal(keys['security/verify-hub/key'], input.verifyHubKey.privateKeyPem);
  const pemBody = input.verifyHubKey.privateKeyPem.split('\n')[1];
  for (const [key, value] of Object.entries(keys)) if (key !== 'security/verify-hub/key') assert.ok(!value.includes(pemBody), key);
});

test('user settings carry no password; the verifier lives under security/verify-hub', () => {
  const input = bootInputFor();
  const keys = buildBootKeys(input);
  for (const key of ['users/alice/settings', 'users/root/settings']) {
    const settings = JSON.parse(keys[key]) as Record<string, unknown>;
    assert.equal(settings.password, undefined, key);
    assert.ok(!keys[key].includes(input.startConfig.admin_password_hash!), key);
    assert.equal(settings.state, 'active');
  }
  assert.equal(JSON.parse(keys['users/alice/settings']).type, 'admin');
  assert.equal(JSON.parse(keys['users/root/settings']).type, 'root');
  assert.equal(keys['security/verify-hub/passwords/alice'], input.startConfig.admin_password_hash);
  assert.deepEqual(JSON.parse(keys['users/alice/doc']), input.startConfig.owner_document);
});

test('kernel service specs have the ports of our kernel services and start as new', () => {
  const keys = buildBootKeys(bootInputFor());
  const ports = Object.fromEntries(['verify-hub', 'scheduler', 'repo-service', 'app-manager'].map((s) => {
    const spec = JSON.parse(keys[`services/${s}/spec`]) as KernelServiceSpec;
    assert.equal(spec.state, 'new');
    assert.equal(spec.app_index, 0);
    assert.equal(spec.expected_instance_count, 1);
    return [s, spec.spec_config.service_config.www.inner_port];
  }));
  assert.deepEqual(ports, { 'verify-hub': 3300, scheduler: 3400, 'repo-service': 4000, 'app-manager': 4010 });
});

test('every OOD gets an empty running node config, gateway keys and its device document', () => {
  const input = bootInputFor({ oods: ['ood1', 'ood2'] });
  const keys = buildBootKeys(input);
  for (const ood of ['ood1', 'ood2']) {
    const cfg = JSON.parse(keys[`nodes/${ood}/config`]) as NodeConfig;
    assert.deepEqual(cfg, { node_id: ood, node_did: `did:web:${ood}.alice.example.com`, kernel: {}, apps: {}, frame_services: {}, state: 'running' });
    assert.equal(keys[`nodes/${ood}/gateway_config`], '{}');
    assert.equal(JSON.parse(keys[`nodes/${ood}/gateway_info`]).node_info.this_node_id, ood);
    assert.equal(keys[`devices/${ood}/doc`], input.deviceDocJwts[ood]);
  }
});

test('the RBAC tail names the admin and the OODs and opens a user-managed section', () => {
  const lines = buildBootKeys(bootInputFor({ oods: ['ood1', 'ood2'] }))['system/rbac/policy'].split('\n');
  for (const line of ['g, alice, admin', 'g, su_alice, su_admin', 'g, ood1, ood', 'g, ood2, ood', 'g, verify-hub, kernel', 'g, repo-service, frame', USER_MANAGED_MARKER]) {
    assert.ok(lines.includes(line), line);
  }
});

test('the same input builds the same bytes', () => {
  assert.deepEqual(buildBootKeys(bootInputFor()), buildBootKeys(bootInputFor()));
});

test('inconsistent activation outputs are refused with INVALID_PARAMS', () => {
  const cases: Array<[string, (i: ReturnType<typeof bootInputFor>) => void]> = [
    ['owner name differs from user_name', (i) => { i.startConfig.owner_document = { ...i.startConfig.owner_document, name: 'mallory' }; }],
    ['owner DID differs', (i) => { i.ownerDid = 'did:bns:mallory'; }],
    ['root as admin name', (i) => { i.startConfig.user_name = 'root'; i.startConfig.owner_document = { ...i.startConfig.owner_document, name: 'root' }; }],
    ['path trick in user name', (i) => { i.startConfig.user_name = '../x'; }],
    ['no password verifier', (i) => { i.startConfig.admin_password_hash = ''; }],
    ['no OOD', (i) => { i.oodNames = []; }],
    ['undecodable zone document', (i) => { i.zoneDocumentJwt = 'nonsense'; }],
  ];
  for (const [name, mutate] of cases) {
    const input = bootInputFor();
    mutate(input);
    assert.throws(() => buildBootKeys(input), (e) => isKrpcError(e, 'INVALID_PARAMS'), name);
  }
});
