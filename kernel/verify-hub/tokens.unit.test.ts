import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { isKrpcError } from '../lib/errors.js';
import { signJwt, verifyJwt } from '../lib/identity/jwt.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import {
  REFRESH_TOKEN_TTL_S, SESSION_TOKEN_TTL_S, TokenIssuer, newSessionId, newTokenId, refreshSigningKey, tokenClaims, type SessionSubject,
} from './tokens.js';

const zone = 'did:web:home.example';
const subject: SessionSubject = { sub: 'alice', appid: 'control-panel', kind: 'user', session: 42 };
const now = 1_750_000_000;

test('session claims follow docs/CONTRACTS.md and live 15 min', () => {
  assert.deepEqual(tokenClaims('session', subject, zone, now, '7'), {
    iss: 'verify-hub', sub: 'alice', appid: 'control-panel', exp: now + 900, iat: now, jti: '7',
    session: 42, principal_kind: 'user', zone,
  });
  assert.equal(SESSION_TOKEN_TTL_S, 15 * 60);
});

test('refresh claims add aud "verify-hub" and live 7 days; app_instance_id is carried when known', () => {
  const c = tokenClaims('refresh', { ...subject, appInstanceId: 'notes@alice' }, zone, now, '8');
  assert.equal(c.aud, 'verify-hub');
  assert.equal(c.exp, now + 7 * 24 * 3600);
  assert.equal(REFRESH_TOKEN_TTL_S, 604_800);
  assert.equal(c.app_instance_id, 'notes@alice');
  assert.equal(tokenClaims('session', subject, zone, now, '9').app_instance_id, undefined);
});

test('ids: jti is a u64 decimal string, session ids are safe positive integers', () => {
  const jtis = new Set(Array.from({ length: 200 }, newTokenId));
  assert.equal(jtis.size, 200);
  for (const j of jtis) assert.match(j, /^\d{1,20}$/);
  for (let i = 0; i < 200; i++) {
    const s = newSessionId();
    assert.ok(Number.isSafeInteger(s) && s > 0, `session id ${s}`);
  }
});

test('a minted pair is EdDSA; the session token has kid "verify-hub"; each verifies only for its own use', async () => {
  const key = generateEd25519();
  const issuer = new TokenIssuer(key.privateKeyPem, key.publicJwk, zone);
  const pair = await issuer.mintPair(subject, now);
  assert.deepEqual(decodeProtectedHeader(pair.session_token), { alg: 'EdDSA', kid: 'verify-hub' });
  assert.deepEqual(decodeProtectedHeader(pair.refresh_token), { alg: 'EdDSA', kid: 'verify-hub-refresh' });
  assert.equal(decodeJwt(pair.refresh_token).jti, pair.refreshJti);
  assert.equal(pair.refreshExp, now + REFRESH_TOKEN_TTL_S);

  assert.equal((await issuer.verify(pair.session_token, 'session', now)).sub, 'alice');
  assert.equal((await issuer.verify(pair.refresh_token, 'refresh', now)).session, 42);
  await assert.rejects(issuer.verify(pair.refresh_token, 'session', now), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(issuer.verify(pair.session_token, 'refresh', now), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(issuer.verify(pair.session_token, 'session', now + SESSION_TOKEN_TTL_S + 60), (e) => isKrpcError(e, 'TOKEN_EXPIRED'));
});

test('the refresh key is derived, stable per verify-hub key, and not the published key', async () => {
  const key = generateEd25519();
  const a = refreshSigningKey(key.privateKeyPem);
  assert.deepEqual(refreshSigningKey(key.privateKeyPem).publicJwk, a.publicJwk);
  assert.notEqual(a.publicJwk.x, key.publicJwk.x);
  assert.notEqual(refreshSigningKey(generateEd25519().privateKeyPem).publicJwk.x, a.publicJwk.x);
  const pair = await new TokenIssuer(key.privateKeyPem, key.publicJwk, zone).mintPair(subject, now);
  await assert.rejects(verifyJwt(pair.refresh_token, key.publicJwk, { now }), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
  assert.equal((await verifyJwt(pair.session_token, key.publicJwk, { now })).sub, 'alice');
});

test('tokens of another zone, another key or another issuer are refused', async () => {
  const key = generateEd25519();
  const issuer = new TokenIssuer(key.privateKeyPem, key.publicJwk, zone);
  const otherZone = await new TokenIssuer(key.privateKeyPem, key.publicJwk, 'did:web:elsewhere').mintPair(subject, now);
  await assert.rejects(issuer.verify(otherZone.session_token, 'session', now), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /zone/.test(e.message));

  const stranger = generateEd25519();
  const forged = await new TokenIssuer(stranger.privateKeyPem, stranger.publicJwk, zone).mintPair(subject, now);
  await assert.rejects(issuer.verify(forged.session_token, 'session', now), (e) => isKrpcError(e, 'UNAUTHENTICATED'));

  const notOurs = await signJwt({ ...tokenClaims('session', subject, zone, now, '1'), iss: 'ood1' }, key.privateKeyPem, 'verify-hub');
  await assert.rejects(issuer.verify(notOurs, 'session', now), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /verify-hub/.test(e.message));

  const { session: _dropped, ...noSession } = tokenClaims('session', subject, zone, now, '2');
  const incomplete = await signJwt(noSession, key.privateKeyPem, 'verify-hub');
  await assert.rejects(issuer.verify(incomplete, 'session', now), (e) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('clock jumped back by hours after issue (iat in the future): the session token is refused and the refresh token renews it; forward jumps expire only the session token', async () => {
  const key = generateEd25519();
  const issuer = new TokenIssuer(key.privateKeyPem, key.publicJwk, zone);
  const pair = await issuer.mintPair(subject, now);
  const sudo = await issuer.mintSudo(subject, now, 300);
  const back = now - 3 * 3600;
  await assert.rejects(issuer.verify(pair.session_token, 'session', back), (e) => isKrpcError(e, 'UNAUTHENTICATED') && /in the future/.test(e.message));
  await assert.rejects(issuer.verify(sudo, 'session', back), (e) => isKrpcError(e, 'UNAUTHENTICATED'), 'a sudo token is not stretched by a backward jump');
  const refresh = await issuer.verify(pair.refresh_token, 'refresh', back);
  assert.equal(refresh.sub, 'alice');
  const renewed = await issuer.mintPair(subject, back);
  assert.equal((await issuer.verify(renewed.session_token, 'session', back)).iat, back);
  // Within the skew, nothing changes.
  assert.equal((await issuer.verify(pair.session_token, 'session', now - 30)).sub, 'alice');
  // Forward by hours: the 15-minute session token has expired, the 7-day refresh token has not.
  const ahead = now + 3 * 3600;
  await assert.rejects(issuer.verify(pair.session_token, 'session', ahead), (e) => isKrpcError(e, 'TOKEN_EXPIRED'));
  assert.equal((await issuer.verify(pair.refresh_token, 'refresh', ahead)).sub, 'alice');
});
