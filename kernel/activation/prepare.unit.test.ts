import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { buildOwnerDocument, defaultKey } from '../lib/identity/documents.js';
import { buildPreparedDocuments, checkNames, checkTopology, deriveNames } from './prepare.js';
import type { GatewayTopology } from './schema.js';

const NOW = 1_750_000_000;
const owner = buildOwnerDocument({ name: 'alice', publicJwk: generateEd25519().publicJwk, evmAddress: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94', iat: NOW });
const deviceKey = generateEd25519().publicJwk;
const facts = { arch: 'amd64', os: 'linux', update_time: NOW, cpu_num: 2 };
const topo = (t: Partial<GatewayTopology> = {}): GatewayTopology => ({ net_id: 'nat', rtcp_port: 2980, support_container: true, uses_sn_relay: false, ...t });

test('names: own domain → did:web zone; otherwise the zone DID is the owner DID', () => {
  assert.deepEqual(deriveNames(owner, ' Home.Example.com ', true), {
    owner_name: 'alice', owner_did: 'did:bns:alice', zone_did: 'did:web:home.example.com',
    access_hostname: 'home.example.com', bns_publish_name: 'alice', use_self_domain: true,
  });
  assert.equal(deriveNames(owner, 'alice.web3.buckyos.ai', false).zone_did, 'did:bns:alice');
});

test('checkNames rejects any member that does not follow from the owner document', () => {
  const good = deriveNames(owner, 'home', true);
  checkNames(good, owner);
  for (const bad of [
    { ...good, zone_did: 'did:web:evil' }, { ...good, owner_did: 'did:bns:bob' }, { ...good, bns_publish_name: 'bob' },
    { ...good, owner_name: 'bob' }, { ...good, use_self_domain: false }, { ...good, access_hostname: 'HOME' },
  ]) assert.throws(() => checkNames(bad, owner), (e) => isKrpcError(e, 'INVALID_PARAMS'), JSON.stringify(bad));
});

test('checkNames refuses an owner named like a role, a kernel id or the OOD device', () => {
  for (const name of ['root', 'kernel', 'scheduler', 'control-panel', 'ood1']) {
    const o = { ...owner, name, id: `did:bns:${name}` };
    assert.throws(() => checkNames(deriveNames(o, 'home', true), o), (e) => isKrpcError(e, 'INVALID_PARAMS') && /owner name/.test(e.message), name);
  }
});

test('checkTopology: wan cannot use a relay; a relay needs an http(s) SN URL', () => {
  checkTopology(topo());
  checkTopology(topo({ net_id: 'wan' }));
  checkTopology(topo({ uses_sn_relay: true, sn_url: 'https://sn.example.com/kapi/sn' }));
  for (const bad of [
    topo({ net_id: 'wan', uses_sn_relay: true, sn_url: 'https://sn.example.com/kapi/sn' }),
    topo({ uses_sn_relay: true }),
    topo({ uses_sn_relay: true, sn_url: 'ftp://sn.example.com' }),
    topo({ uses_sn_relay: true, sn_url: 'https://user:pw@sn.example.com' }),
  ]) assert.throws(() => checkTopology(bad), (e) => isKrpcError(e, 'INVALID_PARAMS'), JSON.stringify(bad));
});

test('prepared documents: one OOD "ood1", iat boot < mini < device, shared exp, device key and names wired in', () => {
  const names = deriveNames(owner, 'home', true);
  const p = buildPreparedDocuments({ owner, names, topology: topo(), devicePublicKey: deviceKey, now: NOW, facts });
  assert.deepEqual(p.boot_document.oods, ['ood1'], 'nat → net_id omitted');
  assert.equal(p.boot_document.id, 'did:web:home');
  assert.equal(p.boot_document.sn, undefined);
  assert.ok(p.boot_document.iat! < p.device_mini_document.iat! && p.device_mini_document.iat! < p.device_document.iat);
  assert.equal(p.boot_document.exp, p.device_document.exp);
  assert.equal(p.device_mini_document.exp, p.device_document.exp);
  assert.equal(p.device_document.id, 'did:web:ood1.home');
  assert.equal(p.device_document.owner, 'did:bns:alice');
  assert.equal(p.device_document.zone_did, 'did:web:home');
  assert.equal(p.device_document.net_id, 'nat');
  assert.equal(p.device_document.rtcp_port, 2980);
  assert.deepEqual(defaultKey(p.device_document), deviceKey);
  assert.equal(p.device_mini_document.x, deviceKey.x);
  assert.equal(p.device_info.arch, 'amd64');
  assert.equal(p.device_info.name, 'ood1');
});

test('prepared documents with another net_id and an SN relay', () => {
  const names = deriveNames(owner, 'home', true);
  const p = buildPreparedDocuments({
    owner, names, topology: topo({ net_id: 'portmap', uses_sn_relay: true, sn_url: 'https://sn.example.com/kapi/sn' }), devicePublicKey: deviceKey, now: NOW, facts,
  });
  assert.deepEqual(p.boot_document.oods, ['ood1@portmap']);
  assert.equal(p.boot_document.sn, 'sn.example.com');
  assert.equal(p.device_document.ddns_sn_url, 'https://sn.example.com/kapi/sn');
});
