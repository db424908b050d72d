import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { signJwt } from '../lib/identity/jwt.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { CHUNK_SIZE, PKG_FORMAT, metaIdOf, uniqueChunks, type PkgMeta } from './format.js';
import { validateManifest } from './manifest.js';
import { signMeta, validateMeta, verifyMetaSignature } from './verify.js';

const publisher = generateEd25519();
const H = (c: string) => c.repeat(64);

function meta(files: PkgMeta['files'], extra: Partial<PkgMeta> = {}): PkgMeta {
  const manifest = validateManifest({ name: 'app', version: '1.0.0', start: { cmd: ['node', 'main.mjs'] }, health: { path: '/health' } });
  return {
    ...manifest,
    format: PKG_FORMAT,
    chunk_size: CHUNK_SIZE,
    size: files.reduce((n, f) => n + f.size, 0),
    files,
    author_pk: publisher.publicJwk,
    ...extra,
  };
}

const file = (path: string, size = 10, chunks = [H('a')]) => ({ path, mode: 0o644 as const, size, chunks });

const refused = (m: unknown, code: ErrorCode, pattern: RegExp) =>
  assert.throws(() => validateMeta(m), (e) => isKrpcError(e, code) && pattern.test(e.message), `expected ${code} ${pattern}`);

test('canonical JSON sorts keys at every depth and drops undefined members', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' }, u: undefined }), '{"a":{"c":"x","d":[1,{"y":null,"z":true}]},"b":1}');
  assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  assert.equal(canonicalJson('é"\n'), JSON.stringify('é"\n'));
  assert.equal(canonicalJson([undefined]), '[null]');
  assert.throws(() => canonicalJson({ n: NaN }), TypeError);
  assert.throws(() => canonicalJson({ f: () => 1 }), TypeError);
});

test('the meta id is the sha256 of the canonical JSON, independent of key order', () => {
  const m = meta([file('main.mjs')]);
  const reordered = Object.fromEntries(Object.entries(m).reverse());
  assert.equal(metaIdOf(m), metaIdOf(reordered));
  assert.equal(metaIdOf(m), `sha256:${sha256Hex(canonicalJson(m))}`);
  assert.notEqual(metaIdOf(m), metaIdOf({ ...m, version: '1.0.1' }));
});

test('a well-formed meta passes and keeps its id', () => {
  const m = meta([file('main.mjs'), file('public/index.html', CHUNK_SIZE + 1, [H('b'), H('c')]), file('empty', 0, [])]);
  const v = validateMeta(m);
  assert.equal(metaIdOf(v), metaIdOf(m));
  assert.deepEqual([...uniqueChunks(m)], [[H('a'), 10], [H('b'), CHUNK_SIZE], [H('c'), 1]]);
});

test('refuses metas whose content list could escape or collide', () => {
  refused(meta([file('../evil')]), 'INVALID_PARAMS', /climbs out/);
  refused(meta([file('/etc/cron.d/x')]), 'INVALID_PARAMS', /absolute/);
  refused(meta([file('a\\..\\b')]), 'INVALID_PARAMS', /backslash/);
  refused(meta([file('a//b')]), 'INVALID_PARAMS', /not normalized/);
  refused(meta([file('main.mjs'), file('main.mjs')]), 'INVALID_PARAMS', /twice/);
  refused(meta([file('Main.mjs'), file('main.mjs')]), 'INVALID_PARAMS', /twice/);
  refused(meta([file('caf\u00e9'), file('cafe\u0301')]), 'INVALID_PARAMS', /twice/);
  refused(meta([file('lib'), file('lib/x.mjs')]), 'INVALID_PARAMS', /both as a file and as a folder/);
  refused(meta([file('.pkg.meta.json')]), 'INVALID_PARAMS', /reserved/);
});

test('refuses metas whose numbers do not add up', () => {
  refused(meta([file('a', 10, [H('a'), H('b')])]), 'INTEGRITY', /lists 2 chunks/);
  refused(meta([file('a', CHUNK_SIZE + 1, [H('a')])]), 'INTEGRITY', /lists 1 chunks/);
  refused(meta([file('a')], { size: 11 }), 'INTEGRITY', /add up/);
  refused(meta([file('a')], { chunk_size: 1024 }), 'INVALID_PARAMS', /chunk_size/);
  refused(meta([{ ...file('a'), mode: 0o4755 as 0o755 }]), 'INVALID_PARAMS', /mode/);
  refused(meta([{ ...file('a'), chunks: ['zz'] }]), 'INVALID_PARAMS', /chunks/);
  refused(meta([{ ...file('a'), size: -1 }]), 'INVALID_PARAMS', /size/);
});

test('refuses metas with a bad author key, unknown fields, or missing defaults', () => {
  refused(meta([file('a')], { author_pk: { kty: 'OKP', crv: 'Ed25519', x: 'short' } }), 'INVALID_PARAMS', /author_pk/);
  refused({ ...meta([file('a')]), format: 'other' }, 'INVALID_PARAMS', /format/);
  refused({ ...meta([file('a')]), extra: 1 }, 'INVALID_PARAMS', /unknown field "extra"/);
  refused({ ...meta([file('a')]), include: ['a'] }, 'INVALID_PARAMS', /include/);
  const { platform: _dropped, ...incomplete } = meta([file('a')]);
  refused(incomplete, 'INVALID_PARAMS', /incomplete/);
});

test('enforces the file count and size limits', () => {
  const limits = { maxMetaBytes: 1024, maxTotalBytes: 100, maxFiles: 3 };
  const many = meta(Array.from({ length: 4 }, (_, i) => file(`f${i}`)));
  assert.throws(() => validateMeta(many, limits), (e) => isKrpcError(e, 'PAYLOAD_TOO_LARGE') && /4 files/.test(e.message));
  const big = meta([file('a', 101)]);
  assert.throws(() => validateMeta(big, limits), (e) => isKrpcError(e, 'PAYLOAD_TOO_LARGE') && /101 bytes/.test(e.message));
  assert.doesNotThrow(() => validateMeta(meta([file('a', 100)]), limits));
});

test('the signature binds the meta id to the embedded author key', async () => {
  const m = meta([file('a')]);
  const sig = await signMeta(m, publisher.privateKeyPem);
  assert.equal(await verifyMetaSignature(m, m, sig), metaIdOf(m));

  const altered = { ...m, start: { cmd: ['node', 'evil.mjs'] } };
  await assert.rejects(verifyMetaSignature(altered, altered, sig), (e) => isKrpcError(e, 'INTEGRITY') && /different meta/.test(e.message));

  const other = generateEd25519();
  const forged = await signJwt({ meta_id: metaIdOf(m), name: 'app', version: '1.0.0' }, other.privateKeyPem);
  await assert.rejects(verifyMetaSignature(m, m, forged), (e) => isKrpcError(e, 'INTEGRITY') && /does not verify/.test(e.message));

  const swapped = { ...m, author_pk: other.publicJwk };
  await assert.rejects(verifyMetaSignature(swapped, swapped, sig), (e) => isKrpcError(e, 'INTEGRITY'));
  await assert.rejects(verifyMetaSignature(m, m, 'not.a.jwt'), (e) => isKrpcError(e, 'INTEGRITY'));
  await assert.rejects(signMeta(swapped, publisher.privateKeyPem), /public half/);
});
