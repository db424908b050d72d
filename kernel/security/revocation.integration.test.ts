// Sessions end everywhere when they end at verify-hub. On a real OOD child process, a session token that
// system-config, the repo, the scheduler, the app-manager and verify-hub all accept (every call through
// the gateway) is refused by each of them within seconds of a logout, and likewise the newest token of
// a session that a reused refresh token ended. Before the revocation list it kept working for up to
// 15 minutes, until it expired.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { activatedOod, cli, pollUntil, randomLoopback, spawnNode, tempDir, TEST_PASSWORD, waitForPort, type NodeProcess } from '../testing/harness.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { KrpcError } from '../lib/errors.js';

const { ood, env, dir, mnemonic } = await activatedOod();
const nodeDir = await tempDir('buckyos-revocation-node-');
let node: NodeProcess | undefined;
after(async () => {
  await node?.kill('SIGTERM');
  await ood.kill('SIGTERM');
  await Promise.all([dir.remove(), nodeDir.remove()]);
});

const zone = env.BUCKYOS_ZONE;
const service = (name: string, token?: string) => new KrpcClient(`${zone}/kapi/${name}`, { token });
const hub = service('verify_hub');

interface TokenPair { session_token: string; refresh_token: string }

async function login(): Promise<TokenPair> {
  const nonce = Date.now();
  return hub.call<TokenPair>('login_by_password', {
    type: 'password', username: 'alice', password: loginProof(hashPassword(TEST_PASSWORD, 'alice'), nonce), appid: 'control-panel', login_nonce: nonce,
  });
}

/** One call per service that alice's session may make, each through the gateway. */
const uses: Record<string, (token: string) => Promise<unknown>> = {
  'system-config read': (t) => service('system_config', t).call('sys_config_get', { key: 'users/alice/settings' }),
  'system-config write': (t) => service('system_config', t).call('sys_config_set', { key: 'users/alice/profile', value: JSON.stringify({ at: Date.now() }) }),
  'repo-server': (t) => service('repo', t).call('list', {}),
  scheduler: (t) => service('scheduler', t).call('get_snapshot', {}),
  'app-manager': (t) => service('app_manager', t).call('list_apps', {}),
  'verify-hub': (t) => hub.call('verify_token', { session_token: t }),
};

const logs = () => `--- OOD ---\n${ood.log().slice(-3000)}\n--- node ---\n${node?.log().slice(-2000) ?? ''}`;

/** Every service accepts the token (the scheduler may not have written its first snapshot yet). */
async function allAccept(token: string): Promise<void> {
  for (const [what, use] of Object.entries(uses))
    await pollUntil(`${what} to accept the session token`, async () => (await use(token), true), { timeoutMs: 30_000, context: logs });
}

/** Every service refuses the token, each eventually; a refusal must say the caller is not authenticated. */
async function allRefuse(token: string): Promise<void> {
  for (const [what, use] of Object.entries(uses)) {
    const refusal = await pollUntil(`${what} to refuse the ended session's token`, async () => {
      try {
        await use(token);
        return undefined;
      } catch (e) {
        return e;
      }
    }, { timeoutMs: 20_000, context: logs });
    assert.ok(refusal instanceof KrpcError && refusal.code === 'UNAUTHENTICATED', `${what}: ${String(refusal)}`);
  }
}

test('after logout, the session token is refused by every service within seconds', async () => {
  const pair = await login();
  await allAccept(pair.session_token);
  assert.equal(await hub.call('logout', { refresh_token: pair.refresh_token }), true);
  await allRefuse(pair.session_token);
  // Another session of the same user is not affected.
  await allAccept((await login()).session_token);
});

test('after a refresh token is reused, the newest session token of that session is refused everywhere', async () => {
  const first = await login();
  const second = await hub.call<TokenPair>('refresh_token', { refresh_token: first.refresh_token });
  await allAccept(second.session_token);
  await assert.rejects(hub.call('refresh_token', { refresh_token: first.refresh_token }), (e: unknown) => e instanceof KrpcError && e.code === 'UNAUTHENTICATED');
  await allRefuse(second.session_token);
  await allRefuse(first.session_token);
});

test('through another node of the zone, the ended session is refused too (its gateway forwards to the OOD)', async () => {
  const enrolled = await cli(['enroll', '--zone', zone, '--name', 'nas1', '--device-data', nodeDir.path, '--mnemonic', mnemonic]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const nodeHost = randomLoopback();
  node = spawnNode(nodeDir.path, nodeHost);
  await waitForPort(nodeHost, 3180);
  const viaNode = (token: string) => new KrpcClient(`http://${nodeHost}:3180/kapi/system_config`, { token }).call('sys_config_get', { key: 'users/alice/settings' });
  const pair = await login();
  await pollUntil('the node gateway to pass the session token on', async () => (await viaNode(pair.session_token), true), { timeoutMs: 30_000, context: logs });
  assert.equal(await hub.call('logout', { refresh_token: pair.refresh_token }), true);
  const refusal = await pollUntil('the node gateway path to refuse the ended session', async () => {
    try {
      await viaNode(pair.session_token);
      return undefined;
    } catch (e) {
      return e;
    }
  }, { timeoutMs: 20_000, context: logs });
  assert.ok(refusal instanceof KrpcError && refusal.code === 'UNAUTHENTICATED', String(refusal));
});
