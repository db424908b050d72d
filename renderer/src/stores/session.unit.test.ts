// The session store against a real in-process HTTP server speaking the kRPC envelope (verify-hub's
// refresh contract), so refresh, retry and "session over" are exercised over the wire.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ownerKit } from '../../../kernel/activation/owner-kit';
import { provideOwnerKit } from '../api/owner-kit';

interface Call { service: string; method: string; token?: string }
let calls: Call[] = [];
let server: Server;
let behaviour: { refresh: 'ok' | 'ended'; sessionExpired: boolean };
/** A token whose exp looks fine to the page but which the kernel says has expired (clock skew, revocation). */
let staleToken = '';

const jwt = (exp: number) => `e30.${btoa(JSON.stringify({ exp })).replace(/=+$/, '')}.sig`;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { method, sys } = JSON.parse(body) as { method: string; sys: unknown[] };
      const service = req.url!.replace('/kapi/', '');
      calls.push({ service, method, token: sys[1] as string | undefined });
      const reply = (x: object) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ ...x, sys: [sys[0]] })); };
      if (method === 'refresh_token') {
        return behaviour.refresh === 'ok'
          ? reply({ result: { session_token: jwt(now() + 900), refresh_token: jwt(now() + 7 * 86400) } })
          : reply({ error: 'UNAUTHENTICATED: this session was ended (logout or a reused refresh token); log in again' });
      }
      if (method === 'echo') {
        if (behaviour.sessionExpired && sys[1] === staleToken) return reply({ error: 'TOKEN_EXPIRED: token has expired; log in again' });
        return reply({ result: sys[1] ?? null });
      }
      reply({ error: 'UNKNOWN_METHOD: ' + method });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos = { gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

provideOwnerKit(ownerKit);
const { useSession, tokenExpiry } = await import('./session');

beforeEach(() => {
  calls = [];
  behaviour = { refresh: 'ok', sessionExpired: false };
});

describe('session store', () => {
  test('tokenExpiry reads exp without verifying, and nothing from garbage', () => {
    expect(tokenExpiry(jwt(123))).toBe(123);
    expect(tokenExpiry('not a jwt')).toBeUndefined();
    expect(tokenExpiry(undefined)).toBeUndefined();
  });

  test('a token about to expire is refreshed before the call, without a failed call first', async () => {
    useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: jwt(now() + 10), refreshToken: jwt(now() + 3600) });
    const token = await useSession.getState().callRaw<string>('x', 'echo');
    expect(calls.map((c) => c.method)).toEqual(['refresh_token', 'echo']);
    expect(token).toBe(useSession.getState().sessionToken);
    expect(tokenExpiry(token)! - now()).toBeGreaterThan(800);
  });

  test('a kernel "expired" answer refreshes once and retries the call', async () => {
    staleToken = jwt(now() + 600);
    useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: staleToken, refreshToken: jwt(now() + 3600) });
    behaviour.sessionExpired = true;
    const token = await useSession.getState().callRaw<string>('x', 'echo');
    expect(calls.map((c) => c.method)).toEqual(['echo', 'refresh_token', 'echo']);
    expect(token).not.toBe(staleToken);
    expect(useSession.getState().status).toBe('signed-in');
  });

  test('a refresh the kernel refuses ends the session as "expired" (the page keeps its state) and forgets the tokens', async () => {
    staleToken = jwt(now() + 600);
    useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: staleToken, refreshToken: jwt(now() + 3600) });
    behaviour.refresh = 'ended';
    behaviour.sessionExpired = true;
    await useSession.getState().callRaw('x', 'echo').catch(() => undefined);
    expect(useSession.getState().status).toBe('expired');
    expect(useSession.getState().refreshToken).toBeUndefined();
    expect(useSession.getState().user).toBe('alice');
  });

  test('an unreachable kernel marks the session unreachable, and a later answer clears it', async () => {
    const origin = (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos!.gatewayUrl;
    useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: jwt(now() + 900), refreshToken: undefined, reachable: true });
    (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos = { gatewayUrl: 'http://127.0.0.1:1' };
    await expect(useSession.getState().callRaw('x', 'echo')).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(useSession.getState().reachable).toBe(false);
    (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos = { gatewayUrl: origin };
    await useSession.getState().callRaw('x', 'echo');
    expect(useSession.getState().reachable).toBe(true);
  });
});
