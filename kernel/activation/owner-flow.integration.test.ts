// The control panel signs activation documents in the page with owner-key.ts (noble Ed25519, no
// node:); the CLI signs with jose. Against a real activation server: every document the page signs is
// byte-identical to the CLI's signature of the same document, the kernel's verifier accepts them, and
// the device commits.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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
