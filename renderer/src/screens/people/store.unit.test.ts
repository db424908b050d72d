// The People store against an in-process HTTP server speaking the kRPC envelope: the list (root is not
// a person), the refusal a plain user gets, and that every change goes out with the sudo token, never
// the session token, and never with the password itself.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ownerKit } from '../../../../kernel/activation/owner-kit';
import { provideOwnerKit } from '../../api/owner-kit';

interface Call { method: string; token?: string; params: Record<string, unknown> }
let calls: Call[] = [];
let server: Server;
let refuseList = false;

const jwt = (claims: object) => `e30.${btoa(JSON.stringify(claims)).replace(/=+$/, '')}.sig`;
const now = () => Math.floor(Date.now() / 1000);
const SESSION = jwt({ exp: now() + 900, sub: 'alice' });
const SUDO = jwt({ exp: now() + 180, sub: 'alice', sudo: true });
const PASSWORD = 'alice-password-1';
let users = [
  { user_id: 'root', user_type: 'root', state: 'active' },
  { user_id: 'bob', user_type: 'user', state: 'active' },
  { user_id: 'alice', user_type: 'admin', state: 'active' },
];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { method, params, sys } = JSON.parse(body) as { method: string; params: Record<string, unknown>; sys: unknown[] };
      calls.push({ method, token: sys[1] as string | undefined, params });
      const reply = (x: object) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ ...x, sys: [sys[0]] })); };
      const ok = (result: unknown) => reply({ result });
      switch (method) {
        case 'sudo_by_password': return ok({ session_token: SUDO });
        case 'user.list': return refuseList ? reply({ error: 'PERMISSION_DENIED: bob (app control-panel) has no read permission on obj://config/users/' }) : ok({ users });
        case 'zone.overview': return ok({ apps: [{ id: 'notes@alice', owner: 'alice' }, { id: 'files@alice', owner: 'alice' }] });
        case 'user.apps': return ok({ apps: [{ app_instance_id: 'notes@alice', app_id: 'notes', owner_user_id: 'alice', allowed: true, reason: 'exact_user_allow' }] });
        case 'user.create':
          users = [...users, { user_id: params.user_id as string, user_type: params.user_type as string, state: 'active' }];
          return ok({ ok: true });
        default: return ok({ ok: true });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (globalThis as { buckyos?: { gatewayUrl: string } }).buckyos = { gatewayUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

provideOwnerKit(ownerKit);
const { useSession } = await import('../../stores/session');
const { useSudo } = await import('../../stores/sudo');
const { usePeople, userIdOf } = await import('./store');

/** Answers the password dialog as soon as it opens. */
function answerSudo() {
  const stop = useSudo.subscribe((s) => { if (s.asking && !s.busy) void s.submit(PASSWORD); });
  return stop;
}

beforeEach(() => {
  calls = [];
  refuseList = false;
  useSession.setState({ status: 'signed-in', user: 'alice', sessionToken: SESSION, refreshToken: jwt({ exp: now() + 86400 }) });
  useSudo.getState().forget();
});

describe('people store', () => {
  test('lists people without the root key, sorted, and the installed apps by name', async () => {
    await usePeople.getState().load();
    const s = usePeople.getState();
    expect(s.people.map((p) => p.user_id)).toEqual(['alice', 'bob']);
    expect(s.apps.map((a) => [a.name, a.id])).toEqual([['files', 'files@alice'], ['notes', 'notes@alice']]);
    expect(calls.every((c) => c.token === SESSION)).toBe(true);
  });

  test('a plain user is refused by the kernel: the store keeps the PERMISSION_DENIED for the screen to explain', async () => {
    refuseList = true;
    await usePeople.getState().load();
    expect(String(usePeople.getState().error)).toMatch(/^PanelError|PERMISSION_DENIED/);
    expect((usePeople.getState().error as { code: string }).code).toBe('PERMISSION_DENIED');
  });

  test('adding a person asks for sudo, sends the verifier (not the password) and the chosen apps, then reloads', async () => {
    const stop = answerSudo();
    try {
      await usePeople.getState().add({ name: ' Carol ', password: 'carol-password-1', type: 'user', apps: ['notes@alice'] });
    } finally {
      stop();
    }
    const create = calls.find((c) => c.method === 'user.create')!;
    expect(create.token).toBe(SUDO);
    expect(create.params).toMatchObject({ user_id: 'carol', user_type: 'user', show_name: 'Carol', apps: ['notes@alice'] });
    expect(create.params.password_hash).toBe(ownerKit.hashPassword('carol-password-1', 'carol'));
    expect(JSON.stringify(calls)).not.toContain('carol-password-1');
    expect(usePeople.getState().people.map((p) => p.user_id)).toContain('carol');
  });

  test('switching off, app rules, password reset and removal all go out with the sudo token', async () => {
    const stop = answerSudo();
    try {
      await usePeople.getState().setActive('bob', false);
      await usePeople.getState().setApps('bob', { 'files@alice': false });
      await usePeople.getState().resetPassword('bob', 'bob-new-password-1');
      await usePeople.getState().remove('bob');
    } finally {
      stop();
    }
    const changes = calls.filter((c) => c.method.startsWith('user.') && !['user.list', 'user.apps'].includes(c.method));
    expect(changes.map((c) => [c.method, c.token])).toEqual([
      ['user.change_state', SUDO], ['user.set_apps', SUDO], ['user.change_password', SUDO], ['user.delete', SUDO],
    ]);
    expect(changes[0].params).toEqual({ user_id: 'bob', state: 'suspended' });
    expect(calls.filter((c) => c.method === 'sudo_by_password').length).toBe(1);
  });

  test('a name becomes a user id the kernel accepts', () => {
    expect(userIdOf('  Grand Ma ')).toBe('grand.ma');
  });
});
