// The control panel signs activation documents in the page with owner-key.ts (noble Ed25519, no
// node:); the CLI signs with jose. Against a real activation server: every document the page signs is
// byte-identical to the CLI's signature of the same document, the kernel's verifier accepts them, and
// the device commits.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { access, stat } from 'node:fs/promises';
import { ENROLMENT_DELEGATION_KIND, type EnrolmentDelegation } from '../api/devices.js';
import { EnrolmentDelegate } from '../devices/delegation.js';
import { isKrpcError } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { silentLogger } from '../lib/log.js';
import { dataPaths } from '../lib/paths.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { signDocument, verifyOwnerSigned } from '../lib/identity/document-jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { deriveOwnerKey, signEdDsaJwt } from '../lib/identity/owner-key.js';
import { readActivationState } from './files.js';
import { startActivationServer } from './service.js';
import { ActivationClient } from './client.js';
import { jsonEqual, runOwnerActivation } from './owner-flow.js';
import { randomLoopback, tempDir } from '../testing/harness.js';

const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const cleanups: (() => Promise<void>)[] = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

test('page-side derivation matches the CLI: same public key and EVM address from the same words', () => {
  const page = deriveOwnerKey(ABANDON);
  const cli = deriveOwnerKeyMaterial(ABANDON);
  assert.deepEqual(page.publicJwk, cli.ownerKey.publicJwk);
  assert.equal(page.evmAddress, cli.evmAddress);
});

test('the page signs activation documents byte-identically to the CLI, and the device accepts them', async () => {
  const dir = await tempDir('buckyos-owner-flow-');
  const paths = dataPaths(dir.path);
  let activated = 0;
  const host = randomLoopback();
  const server = await startActivationServer({ paths, host, port: 0, log: silentLogger, onActivated: () => { activated++; } });
  cleanups.push(() => dir.remove(), () => server.stop());

  const page = deriveOwnerKey(ABANDON);
  const cli = deriveOwnerKeyMaterial(ABANDON);
  const signed: string[] = [];
  const client = new ActivationClient(`http://${host}:${server.port}`);
  const result = await runOwnerActivation({
    transport: client,
    zoneName: 'Home', ownerName: 'Alice', password: 'a long enough password',
    ownerPublicJwk: page.publicJwk, evmAddress: page.evmAddress,
    sign: async (doc) => {
      const fromPage = signEdDsaJwt(doc, page.seed);
      assert.equal(fromPage, await signDocument(doc, cli.ownerKey.privateKeyPem), 'page and CLI signatures differ');
      assert.ok(jsonEqual(await verifyOwnerSigned(fromPage, cli.ownerKey.publicJwk), JSON.parse(JSON.stringify(doc))));
      signed.push(fromPage);
      return fromPage;
    },
    now: nowSeconds(),
  });
  assert.equal(signed.length, 4, 'boot, device, mini and zone documents');
  assert.equal(result.zoneDid, 'did:web:home');
  assert.equal(result.ownerDid, 'did:bns:alice');
  assert.equal(await readActivationState(paths), 'actived');
  await new Promise((r) => setImmediate(r));
  assert.equal(activated, 1);
});

test('jsonEqual ignores member order and nothing else', () => {
  assert.ok(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }));
  assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: undefined }));
  assert.ok(!jsonEqual([1, 2], [2, 1]));
  assert.ok(!jsonEqual({ a: '1' }, { a: 1 }));
});

// Issue 11: the enrolment delegation made with the activation (the wizard's default), so the OOD approves
// nodes from day one without the recovery words.
async function activationDevice() {
  const dir = await tempDir('buckyos-owner-flow-');
  const paths = dataPaths(dir.path);
  const host = randomLoopback();
  const server = await startActivationServer({ paths, host, port: 0, log: silentLogger, onActivated: () => {} });
  cleanups.push(() => dir.remove(), () => server.stop());
  return { paths, client: new ActivationClient(`http://${host}:${server.port}`) };
}

const exists = (path: string) => access(path).then(() => true, () => false);

test('with delegateEnrolment the owner signs the device\'s enrolment delegation: the OOD holds it and its first boot finds it in force', async () => {
  const { paths, client } = await activationDevice();
  const page = deriveOwnerKey(ABANDON);
  const signed: object[] = [];
  const result = await runOwnerActivation({
    transport: client, zoneName: 'home', ownerName: 'alice', password: 'a long enough password',
    ownerPublicJwk: page.publicJwk, evmAddress: page.evmAddress,
    sign: (doc) => { signed.push(doc); return signEdDsaJwt(doc, page.seed); },
    now: nowSeconds(), delegateEnrolment: true,
  });
  assert.equal(result.enrolmentDelegated, true);
  assert.equal(signed.length, 5, 'boot, device, mini, zone documents and the delegation');
  const request = signed[4] as EnrolmentDelegation;
  assert.equal(request.kind, ENROLMENT_DELEGATION_KIND);
  assert.deepEqual(request.device_types, ['server']);
  assert.equal(request.holder, 'ood1');
  assert.equal(request.zone, 'did:web:home');
  assert.equal(await readActivationState(paths), 'actived');
  assert.equal((await stat(paths.enrolmentKey)).mode & 0o777, 0o600);
  assert.equal((await stat(paths.enrolmentDelegation)).mode & 0o777, 0o600);
  // What the OOD's devices service reads at boot: the delegation verifies and is over the key it holds.
  const delegate = await EnrolmentDelegate.open(paths, { zoneDid: 'did:web:home', ownerDid: 'did:bns:alice', ownerPublicJwk: page.publicJwk, holder: 'ood1' });
  const current = await delegate.current(async () => false);
  assert.ok('jwt' in current, `the delegation is in force (${JSON.stringify(current)})`);
  assert.equal(current.d.jti, request.jti);
  assert.deepEqual(delegate.publicJwk, request.delegate_key);
  assert.equal((await delegate.status(async () => false)).state, 'active');
});

test('a device that asks for a wider delegation gets nothing signed, and a delegation over another key is refused with nothing written', async () => {
  const page = deriveOwnerKey(ABANDON);
  const base = { zoneName: 'home', ownerName: 'alice', password: 'a long enough password', ownerPublicJwk: page.publicJwk, evmAddress: page.evmAddress, now: nowSeconds(), delegateEnrolment: true };

  // A device (or someone in the middle) asks for a delegation that may also sign OODs: the owner signs nothing.
  const wide = await activationDevice();
  const signedWide: object[] = [];
  await assert.rejects(runOwnerActivation({
    ...base,
    transport: {
      generateDeviceKeyPair: () => wide.client.generateDeviceKeyPair(),
      prepareActiveDocuments: async (p) => {
        const prepared = await wide.client.prepareActiveDocuments(p);
        return { ...prepared, enrolment_delegation_request: { ...prepared.enrolment_delegation_request!, device_types: ['server', 'ood'] } };
      },
      commitActive: (p) => wide.client.commitActive(p),
    },
    sign: (doc) => { signedWide.push(doc); return signEdDsaJwt(doc, page.seed); },
  }), (e) => isKrpcError(e, 'INTEGRITY') && /device types other than nodes/.test((e as Error).message));
  assert.ok(!signedWide.some((d) => (d as { kind?: string }).kind === ENROLMENT_DELEGATION_KIND), 'no delegation was signed');
  assert.notEqual(await readActivationState(wide.paths), 'actived');

  // An owner-signed delegation over a key the device did not make (the device keeps only its own): refused.
  const other = await activationDevice();
  const stranger = generateEd25519();
  await assert.rejects(runOwnerActivation({
    ...base,
    transport: {
      generateDeviceKeyPair: () => other.client.generateDeviceKeyPair(),
      prepareActiveDocuments: async (p) => {
        const prepared = await other.client.prepareActiveDocuments(p);
        (prepared as { enrolment_delegation_request: EnrolmentDelegation }).enrolment_delegation_request = { ...prepared.enrolment_delegation_request!, delegate_key: stranger.publicJwk };
        return prepared;
      },
      commitActive: (p) => other.client.commitActive(p),
    },
    sign: (doc) => signEdDsaJwt(doc, page.seed),
  }), (e) => isKrpcError(e, 'INVALID_PARAMS'));
  assert.notEqual(await readActivationState(other.paths), 'actived');
  assert.equal(await exists(other.paths.enrolmentKey), false);
  assert.equal(await exists(other.paths.enrolmentDelegation), false);
});

test('without delegateEnrolment (the CLI default) nothing is delegated and the OOD makes its key at first boot', async () => {
  const { paths, client } = await activationDevice();
  const page = deriveOwnerKey(ABANDON);
  const result = await runOwnerActivation({
    transport: client, zoneName: 'home', ownerName: 'alice', password: 'a long enough password',
    ownerPublicJwk: page.publicJwk, evmAddress: page.evmAddress, sign: (doc) => signEdDsaJwt(doc, page.seed), now: nowSeconds(),
  });
  assert.equal(result.enrolmentDelegated, false);
  assert.equal(await readActivationState(paths), 'actived');
  assert.equal(await exists(paths.enrolmentDelegation), false);
});
