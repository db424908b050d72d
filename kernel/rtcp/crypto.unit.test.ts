// Known-answer tests for the RTCP v4 key schedule, record layer and control packets.
//
// Inputs are taken from upstream's own tests in buckyos/cyfs-gateway at commit
// bd3ab1dd33e66cdbe8caefb5abb6f2a80c8506f8:
//   - src/components/cyfs-gateway-lib/src/aes_stream.rs, mod tests: key() = 0x00..0x1f, iv() = i*7,
//     the "hello rtcp aead world" / "ping" / "pong" messages, the nonce-base derivation;
//   - src/components/cyfs-gateway-lib/src/rtcp/rtcp.rs, tests test_tunnel(91) (control key [91; 32]) and
//     stream_kdf_separates_id_purpose_and_rejects_noncanonical_ids (ids 0011..ff / 1011..ff);
//   - src/components/cyfs-gateway-lib/src/rtcp/package.rs, test
//     open_wire_format_keeps_string_purpose_and_header_v4_contract (exact wire bytes);
//   - derive_session_secrets in rtcp.rs with the X25519 key pairs of RFC 7748 §6.1.
// Upstream's tests assert round trips and inequalities only, so the expected bytes below were computed
// independently with Python's `cryptography` package (AESGCM, HKDF, X25519) from the construction in
// doc/rtcp/rtcp.md §4 of the same commit; our node:crypto code must agree byte for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, hkdfSync, randomBytes } from 'node:crypto';
import {
  deriveSessionSecrets, deriveStreamSecrets, hkdfExpand, hkdfExtract, nonceBases, recordPair, RecordOpener, RecordSealer, MAX_PLAINTEXT,
  type SessionContext,
} from './crypto.js';
import { Cmd, encodeHelloStream, encodePacket, PacketReader } from './packet.js';
import { isRtcpError } from './errors.js';

const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const IV = Buffer.from(Array.from({ length: 16 }, (_, i) => (i * 7) & 0xff));

test('nonce bases: first 12 bytes of SHA-256("rtcp-aead-nonce/A|B" || iv)', () => {
  const { a, b } = nonceBases(IV);
  assert.equal(a.toString('hex'), '9fc4ff47cbb69465379b100a');
  assert.equal(b.toString('hex'), '66a2160eb02639f01672d351');
});

test('records: the initiator writes with base A, the responder with base B, seq XORed into the low 8 bytes', () => {
  const ini = recordPair(KEY, IV, 'initiator');
  const res = recordPair(KEY, IV, 'responder');
  const r0 = ini.sealer.sealOne(Buffer.from('hello rtcp aead world'));
  assert.equal(r0.toString('hex'), '002587eb2b0729aa9ef99972b58bf0c248dc659301430a6e7ce1150e8031f0110433af8d226bce');
  const r1 = ini.sealer.sealOne(Buffer.from('ping'));
  assert.equal(r1.toString('hex'), '00147ce0370719c9323c6e620b2d383147732beccd18');
  const p0 = res.sealer.sealOne(Buffer.from('pong'));
  assert.equal(p0.toString('hex'), '0014c51a7736e1a76a8cc4d8ba97d2c64e9725410062');
  // and the other side reads them back, split at every byte boundary
  const wire = Buffer.concat([r0, r1]);
  const got: Buffer[] = [];
  for (let i = 0; i < wire.length; i++) got.push(...res.opener.push(wire.subarray(i, i + 1)));
  assert.equal(Buffer.concat(got).toString(), 'hello rtcp aead worldping');
  assert.equal(Buffer.concat(ini.opener.push(p0)).toString(), 'pong');
});

test('an empty record (len = 16) is a valid record with no plaintext', () => {
  const s = new RecordSealer(KEY, nonceBases(IV).a);
  assert.equal(s.sealOne(Buffer.alloc(0)).toString('hex'), '0010469ac5fa8d8361fc172197928c4acc14');
});

test('records: large writes split at 16 KiB; a flipped bit, a bad length or a reordered record fail', () => {
  const ini = recordPair(KEY, IV, 'initiator');
  const res = recordPair(KEY, IV, 'responder');
  const payload = randomBytes(3 * MAX_PLAINTEXT + 123);
  const recs = ini.sealer.seal(payload);
  assert.equal(recs.length, 4);
  assert.deepEqual(Buffer.concat(res.opener.push(Buffer.concat(recs))), payload);
  // sealAll writes the very same records into one buffer
  const again = recordPair(KEY, IV, 'initiator');
  assert.deepEqual(again.sealer.sealAll(payload), Buffer.concat(recs));
  assert.deepEqual(recordPair(KEY, IV, 'initiator').sealer.sealAll(Buffer.from('short')), recordPair(KEY, IV, 'initiator').sealer.sealOne(Buffer.from('short')));

  const tampered = Buffer.from(new RecordSealer(KEY, nonceBases(IV).a).sealOne(Buffer.from('do not tamper')));
  tampered[2] ^= 1;
  assert.throws(() => new RecordOpener(KEY, nonceBases(IV).a).push(tampered), (e) => isRtcpError(e, 'INVALID_DATA'));
  assert.throws(() => new RecordOpener(KEY, nonceBases(IV).a).push(Buffer.from([0x00, 0x0f])), /invalid AEAD record length 15/);
  assert.throws(() => new RecordOpener(KEY, nonceBases(IV).a).push(Buffer.from([0x40, 0x11])), /invalid AEAD record length/);
  const s = new RecordSealer(KEY, nonceBases(IV).a);
  const [x, y] = [s.sealOne(Buffer.from('x')), s.sealOne(Buffer.from('y'))];
  assert.throws(() => new RecordOpener(KEY, nonceBases(IV).a).push(Buffer.concat([y, x])), /AEAD authentication failed/);
  // the wrong direction's base never opens
  assert.throws(() => recordPair(KEY, IV, 'initiator').opener.push(s.sealOne(Buffer.from('z'))), /AEAD authentication failed/);
});

test('record budgets are enforced per direction', () => {
  const s = new RecordSealer(KEY, nonceBases(IV).a, { maxRecords: 1, maxBytes: 4, maxAgeMs: 60_000 });
  s.sealOne(Buffer.from('1234'));
  assert.throws(() => s.sealOne(Buffer.from('5')), /record budget exhausted/);
  const t = new RecordSealer(KEY, nonceBases(IV).a, { maxRecords: 2, maxBytes: 3, maxAgeMs: 60_000 });
  assert.throws(() => t.sealOne(Buffer.from('1234')), /byte budget exhausted/);
  const u = new RecordSealer(KEY, nonceBases(IV).a, { maxRecords: 1, maxBytes: 16, maxAgeMs: 0 });
  assert.throws(() => u.sealOne(Buffer.from('x')), /age budget exhausted/);
});

test('stream keys: HKDF(control key) with 0x04 || id || purpose; different ids and purposes differ', () => {
  const ck = Buffer.alloc(32, 91);
  const v = (id: string, p: 'Stream' | 'Datagram') => { const s = deriveStreamSecrets(ck, id, p); return [s.key.toString('hex'), s.iv.toString('hex')]; };
  assert.deepEqual(v('00112233445566778899aabbccddeeff', 'Stream'), ['57aa4b31ba7eae8b0dceacf876fa8aebd27d088d806e62cabd69c25779120024', '419bd43f9d5cfdf634b6c4db5fdaa838']);
  assert.deepEqual(v('00112233445566778899aabbccddeeff', 'Datagram'), ['ef544bd84ae46dbe641815d0f9fbfbbbd1799378290213b04e2785f0fb095e30', '6e7ada050c15caa7fcf4c5c6b11d02bd']);
  assert.deepEqual(v('10112233445566778899aabbccddeeff', 'Stream'), ['bd57362e3c7867d6f92a8faf84d6d5f70c146ed0492e54c27bd5bf6adca208bd', 'ff2fdd9e85a6a564a0548dcc46c185ae']);
  assert.deepEqual(v('10112233445566778899aabbccddeeff', 'Datagram'), ['825413ad67aa89f2d4fe466db6ac7e54184071490380347d070f5d2dd81c9fbc', '5eef7e97c13bb54b6953bebf1ae56eb7']);
  for (const bad of ['', 'abcd', '00112233445566778899aabbccddeefg']) assert.throws(() => deriveStreamSecrets(ck, bad), (e) => isRtcpError(e, 'INVALID_DATA'));
});

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const x25519 = (hex: string) => createPrivateKey({ key: Buffer.concat([X25519_PKCS8, Buffer.from(hex, 'hex')]), format: 'der', type: 'pkcs8' });

test('session key: X25519 (RFC 7748 §6.1 keys) then HKDF with the handshake context', () => {
  const alice = x25519('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  const bob = x25519('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  const pubHex = (k: ReturnType<typeof x25519>) => Buffer.from((createPublicKey(k).export({ format: 'jwk' }) as { x: string }).x, 'base64url').toString('hex');
  assert.equal(pubHex(alice), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  assert.equal(pubHex(bob), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  const shared = diffieHellman({ privateKey: alice, publicKey: createPublicKey(bob) });
  assert.equal(shared.toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  const ctx: SessionContext = {
    initiatorDid: 'initiator.example', responderDid: 'responder.example',
    initiatorCanonicalDid: 'did:dev:gubM8Fdsq4QSEyAmIxb_f1V3l1dLt3M4cQpCd9yGnzo', responderCanonicalDid: 'did:dev:xq0MCKlRDxWOoyVK44qyX7ndUiZhAL4mhKp9mR0H7jM',
    initiatorXpubHex: pubHex(alice), responderXpubHex: pubHex(bob),
    initiatorNonceHex: '000102030405060708090a0b0c0d0e0f', responderNonceHex: 'f0e0d0c0b0a090807060504030201000',
  };
  const { key, iv } = deriveSessionSecrets(shared, ctx);
  assert.equal(key.toString('hex'), '3665f116f42ec57a0e15a68cf1cd613b5e1a5b1f260fd165d5fd2e8565aed118');
  assert.equal(iv.toString('hex'), '0cf71ca4a408becc6eceb15746a59356');
  // any context member changes the key
  assert.notDeepEqual(deriveSessionSecrets(shared, { ...ctx, responderDid: 'other.example' }).key, key);
});

test('our HMAC-based HKDF equals node:crypto hkdfSync for short info strings', () => {
  const ikm = randomBytes(32);
  const info = Buffer.from('buckyos-rtcp-v4 aes256-key|x');
  assert.deepEqual(hkdfExpand(hkdfExtract(undefined, ikm), info, 32), Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32)));
});

test('control packets: Open has upstream exact wire bytes (string purpose, header v4)', () => {
  const wire = encodePacket({ cmd: 'Open', seq: 0x01020304, body: { streamid: '00112233445566778899aabbccddeeff', purpose: 'Datagram', dest_port: 53, dest_host: 'dns.example' } });
  const json = Buffer.from('{"streamid":"00112233445566778899aabbccddeeff","purpose":"Datagram","dest_port":53,"dest_host":"dns.example"}');
  const head = Buffer.alloc(8);
  head.writeUInt16BE(8 + json.length, 0);
  head.set([8, Cmd.Open, 1, 2, 3, 4], 2);
  assert.deepEqual(wire, Buffer.concat([head, json]));
  const back = new PacketReader().push(wire);
  assert.deepEqual(back, [{ cmd: 'Open', seq: 0x01020304, body: { streamid: '00112233445566778899aabbccddeeff', purpose: 'Datagram', dest_port: 53, dest_host: 'dns.example' } }]);
});

test('control packets: malformed lengths, offsets and JSON are refused, never waited on', () => {
  for (let len = 1; len <= 7; len++) {
    const b = Buffer.alloc(Math.max(len, 2));
    b.writeUInt16BE(len, 0);
    assert.throws(() => new PacketReader().push(b), (e) => isRtcpError(e, 'INVALID_DATA'));
  }
  for (const jsonPos of [0, 7, 9, 255]) assert.throws(() => new PacketReader().push(Buffer.from([0, 9, jsonPos, Cmd.Ping, 0, 0, 0, 1, 0x7b])), /json_pos=8/);
  assert.throws(() => new PacketReader().push(Buffer.from([0, 9, 8, Cmd.Ping, 0, 0, 0, 1, 0xff])), /not UTF-8/);
  assert.throws(() => new PacketReader().push(Buffer.from([0, 8, 8, Cmd.Ping, 0, 0, 0, 1])), /empty JSON/);
  assert.throws(() => new PacketReader().push(encodePacket({ cmd: 'Ping', seq: 1, body: { timestamp: 1 } }).fill(99, 3, 4)), /unsupported package type/);
  // HelloStream only first, only where allowed, only 32 hex digits
  const hs = encodeHelloStream('0000000000000000000000000000000a');
  assert.deepEqual(new PacketReader(true).push(hs), [{ cmd: 'HelloStream', streamId: '0000000000000000000000000000000a' }]);
  assert.throws(() => new PacketReader(false).push(hs), /HelloStream/);
  assert.throws(() => new PacketReader(true).push(Buffer.concat([Buffer.alloc(2), Buffer.alloc(32, 0x67)])), /32 hexadecimal/);
  assert.throws(() => encodeHelloStream('short'), /exactly 32/);
  // a partial packet is kept, not parsed
  const ping = encodePacket({ cmd: 'Ping', seq: 7, body: { timestamp: 5 } });
  const r = new PacketReader();
  assert.deepEqual(r.push(ping.subarray(0, 5)), []);
  assert.deepEqual(r.push(ping.subarray(5)), [{ cmd: 'Ping', seq: 7, body: { timestamp: 5 } }]);
});
