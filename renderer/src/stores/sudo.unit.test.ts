// The sudo store against an in-process HTTP server speaking the kRPC envelope: the password dialog
// opens only when no fresh sudo token is at hand, a wrong password keeps it open, cancel rejects, a
// sudo token the kernel calls expired is asked for once more, and signing out forgets it.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ownerKit } from '../../../kernel/activation/owner-kit';
import { provideOwnerKit } from '../api/owner-kit';

interface Call { method: string; token?: string; params: Record<string, unknown> }
let calls: Call[] = [];
let server: Server;
let minted = 0;
/** Sudo tokens the "kernel" now calls expired. */
const expired = new Set<string>();

const jwt = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.sig`;
const now = () => Math.floor(Date.now() / 1000);
const SESSION = jwt({ exp: now() + 900, sub: 'alice' });
const RIGHT = 'the-right-password';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { method, params, sys } = JSON.parse(body) as { method: string; params: Record<string, unknown>; sys: unknown[] };
      calls.push({ method, token: sys[1] as string | undefined, params });
      const reply = (x: object) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ ...x, sys: [sys[0]] })); };
      if (method === 'sudo_by_password') {
        const proof = ownerKit.loginProof(ownerKit.hashPassword(RIGHT, 'alice'), params.login_nonce as number);
        if (sys[1] !== SESSION) return reply({ error: 'UNAUTHENTICATED: sudo needs your current session token in sys[1]; sign in first' });
        if (params.password !== proof) return reply({ error: 'UNAUTHENTICATED: wrong user name or password' });
        return reply({ result: { session_token: jwt({ exp: now() + 180, sudo: true, n: ++minted }) } });
      }
      if (method === 'user.create') {
        if (expired.has(sys[1] as string)) return reply({ error: 'TOKEN_EXPIRED: token has expired; log in again' });
        return reply({ result: { user_id: params.user_id, token: sys[1] } });
      }
      reply({ error: 'UNKNOWN_METHOD: ' + method });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos = { gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

provideOwnerKit(ownerKit);
const { useSession } = await import('./session');
const { useSudo, withSudo, isSudoCancelled } = await import('./sudo');

const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(what()).toBe(true);
};
type AnyCall = (service: string, method: string, params: unknown) => Promise<unknown>;
const create = (user: string) => withSudo((call) => (call as unknown as AnyCall)('control-panel', 'user.create', { user_id: user }));

beforeEach(() => {
  calls = [];
  useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: SESSION, refreshToken: jwt({ exp: now() + 86400 }) });
  useSudo.getState().forget();
});

describe('sudo store', () => {
  test('asks for the password, keeps asking after a wrong one, then runs the change with the sudo token', async () => {
    const change = create('bob');
    await until(() => useSudo.getState().asking);
    await useSudo.getState().submit('wrong');
    expect(useSudo.getState().asking).toBe(true);
    expect(String(useSudo.getState().error)).toMatch(/UNAUTHENTICATED/);
    await useSudo.getState().submit(RIGHT);
    const result = (await change) as { token: string };
    expect(useSudo.getState().asking).toBe(false);
    const sudoCalls = calls.filter((c) => c.method === 'sudo_by_password');
    expect(sudoCalls.map((c) => c.token)).toEqual([SESSION, SESSION]);
    expect(sudoCalls[1].params).toMatchObject({ username: 'alice', appid: 'control-panel' });
    expect(sudoCalls[1].params.password).not.toBe(RIGHT);
    expect(result.token).toBe(useSudo.getState().token);
    expect(result.token).not.toBe(SESSION);
  });

  test('a fresh sudo token is used again without asking; sign-out forgets it', async () => {
    const first = create('bob');
    await until(() => useSudo.getState().asking);
    await useSudo.getState().submit(RIGHT);
    await first;
    calls = [];
    await create('carol');
    expect(calls.map((c) => c.method)).toEqual(['user.create']);
    useSession.setState({ status: 'signed-out', sessionToken: undefined });
    expect(useSudo.getState().token).toBeUndefined();
  });

  test('closing the dialog rejects with SudoCancelled and changes nothing', async () => {
    const change = create('bob');
    await until(() => useSudo.getState().asking);
    useSudo.getState().cancel();
    const e = await change.catch((x: unknown) => x);
    expect(isSudoCancelled(e)).toBe(true);
    expect(calls.some((c) => c.method === 'user.create')).toBe(false);
  });

  test('a sudo token the kernel calls expired is asked for once more, and the change runs again', async () => {
    const first = create('bob');
    await until(() => useSudo.getState().asking);
    await useSudo.getState().submit(RIGHT);
    await first;
    expired.add(useSudo.getState().token!);
    const again = create('dave');
    await until(() => useSudo.getState().asking);
    await useSudo.getState().submit(RIGHT);
    const result = (await again) as { user_id: string; token: string };
    expect(result.user_id).toBe('dave');
    expect(expired.has(result.token)).toBe(false);
    expect(calls.filter((c) => c.method === 'user.create').length).toBe(3);
  });
});
