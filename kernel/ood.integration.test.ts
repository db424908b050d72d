// The owner's first hour with a headless OOD, driven through the CLI against a real process:
// activate, log in, use the KV, survive kill -9, refuse a second activation.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { activatedOod, cli, pollUntil, portIsOpen, repoRoot, spawnOod, waitForPort, type NodeProcess } from './testing/harness.js';
import { KrpcClient } from './lib/krpc/client.js';
import { login } from './cli/session.js';
import { isKrpcError } from './lib/errors.js';

const { ood: first, env, mnemonic, dir } = await activatedOod();
let ood: NodeProcess = first;
const host = first.host;
after(async () => { await ood.kill('SIGKILL'); await dir.remove(); });

test('activation printed a 12-word mnemonic that is stored nowhere on the device', async () => {
  assert.equal(mnemonic.split(' ').length, 12);
  const files: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else files.push(join(d, e.name));
    }
  };
  await walk(dir.path);
  for (const f of files) {
    const text = await readFile(f, 'utf8');
    assert.ok(!text.includes(mnemonic.split(' ').slice(0, 4).join(' ')), `${f} contains the mnemonic`);
    assert.ok(!text.includes('Test-pw-123'), `${f} contains the plain password`);
  }
});

test('an activated OOD closes the activation port and refuses a second activation', async () => {
  assert.equal(await portIsOpen(host, 3182), false);
  const again = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'other', '--owner', 'mallory', '--password', 'Mallory-pw-1']);
  assert.notEqual(again.code, 0);
});

test('kv set/get/list/delete through the gateway as the owner', async () => {
  assert.equal((await cli(['kv', 'set', 'users/alice/profile', '{"name":"Alice"}'], env)).code, 0);
  const got = await cli(['kv', 'get', 'users/alice/profile'], env);
  assert.equal(got.stdout.trim(), '{"name":"Alice"}');
  const list = await cli(['kv', 'list', 'users/alice'], env);
  assert.deepEqual(list.stdout.trim().split('\n').sort(), ['doc', 'profile', 'settings']);
  const denied = await cli(['kv', 'get', 'security/verify-hub/key'], env);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /PERMISSION_DENIED/);
  const badLogin = await cli(['kv', 'get', 'users/alice/profile'], { ...env, BUCKYOS_PASSWORD: 'wrong-password' });
  assert.notEqual(badLogin.code, 0);
  assert.match(badLogin.stderr, /UNAUTHENTICATED/);
});

test('kv watch prints each change under its prefix as it happens, and nothing outside it', async () => {
  const watcher = spawn(process.execPath, [join(repoRoot, 'bin/buckyos.js'), 'kv', 'watch', 'users/alice/apps/w'], { env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  watcher.stdout.on('data', (d) => (out += d));
  watcher.stderr.on('data', (d) => (err += d));
  try {
    await pollUntil('the watch to start', async () => (/watching/.test(err) ? true : undefined), { timeoutMs: 15_000 });
    assert.equal((await cli(['kv', 'set', 'users/alice/apps/other/settings', '{"no":1}'], env)).code, 0);
    assert.equal((await cli(['kv', 'set', 'users/alice/apps/w/settings', '{"yes":1}'], env)).code, 0);
    const line = await pollUntil('the change to be printed', async () => out.split('\n').find((l) => l.includes('apps/w/settings')), { timeoutMs: 10_000 });
    assert.deepEqual(JSON.parse(line), { key: 'users/alice/apps/w/settings', value: '{"yes":1}', version: 1 });
    assert.ok(!out.includes('apps/other'), `the watch printed a key outside its prefix: ${out}`);
  } finally {
    watcher.kill();
  }
});

test('exec_tx through the gateway is all-or-nothing', async () => {
  const session = await login({ zone: env.BUCKYOS_ZONE, user: 'alice', password: env.BUCKYOS_PASSWORD });
  const kv = session.client('system_config');
  await kv.call('sys_config_exec_tx', { actions: {
    'users/alice/apps/a1/settings': { action: 'create', value: '{"a":1}' },
    'users/alice/apps/a2/settings': { action: 'create', value: '{"b":2}' },
  } });
  await assert.rejects(kv.call('sys_config_exec_tx', { actions: {
    'users/alice/apps/a3/settings': { action: 'create', value: '{}' },
    'users/alice/apps/a1/settings': { action: 'create', value: '{"again":true}' },
  } }), (e: unknown) => isKrpcError(e, 'ALREADY_EXISTS'));
  assert.equal(await kv.call('sys_config_get', { key: 'users/alice/apps/a3/settings' }), null);
  const a1 = await kv.call<{ value: string }>('sys_config_get', { key: 'users/alice/apps/a1/settings' });
  assert.equal(a1.value, '{"a":1}');
});

test('unauthenticated and garbage-token calls through the gateway are refused', async () => {
  const anon = new KrpcClient(`http://${host}:3180/kapi/system_config`);
  await assert.rejects(anon.call('sys_config_get', { key: 'users/alice/profile' }), (e: unknown) => isKrpcError(e, 'UNAUTHENTICATED'));
  await assert.rejects(anon.withToken('garbage').call('sys_config_get', { key: 'users/alice/profile' }), (e: unknown) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('acknowledged writes survive kill -9 and the OOD boots straight to running', async () => {
  for (let i = 0; i < 5; i++) assert.equal((await cli(['kv', 'set', `users/alice/apps/k${i}/settings`, `{"i":${i}}`], env)).code, 0);
  await ood.kill('SIGKILL');
  ood = spawnOod(dir.path, host);
  await waitForPort(host, 3180);
  assert.equal(await portIsOpen(host, 3182), false);
  for (let i = 0; i < 5; i++) assert.equal((await cli(['kv', 'get', `users/alice/apps/k${i}/settings`], env)).stdout.trim(), `{"i":${i}}`);
  assert.equal((await cli(['kv', 'get', 'users/alice/profile'], env)).stdout.trim(), '{"name":"Alice"}');
});

test('the scheduler explains its placements over kRPC through the gateway, to logged-in callers only', async () => {
  const session = await login({ zone: env.BUCKYOS_ZONE, user: 'alice', password: env.BUCKYOS_PASSWORD });
  const scheduler = session.client('scheduler');
  let explained: { placements: Array<{ node: string; reason: { code: string } }> } | undefined;
  for (let i = 0; i < 50 && !explained; i++) {
    explained = await scheduler.call<typeof explained>('explain', { spec_id: 'verify-hub' }).catch(() => undefined);
    if (!explained) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(explained, 'the scheduler never explained verify-hub');
  assert.equal(explained.placements[0].node, 'ood1');
  assert.match(explained.placements[0].reason.code, /\w+:\w+/);
  await assert.rejects(scheduler.call('explain', { spec_id: 'no-such-app' }), (e: unknown) => isKrpcError(e, 'NOT_FOUND'));
  await assert.rejects(new KrpcClient(`http://${host}:3180/kapi/scheduler`).call('explain', { spec_id: 'verify-hub' }), (e: unknown) => isKrpcError(e, 'UNAUTHENTICATED'));
});

test('buckyos snapshot prints the placements with reasons, as text, JSON and a diff against a kept revision', async () => {
  const json = await cli(['snapshot', '--json'], env);
  assert.equal(json.code, 0, json.stderr);
  const snap = JSON.parse(json.stdout) as { rev: number; placements: Array<{ spec_id: string; node: string; reason: { code: string; detail: string } }> };
  assert.ok(snap.placements.length >= 4, 'the kernel services are placed');
  for (const p of snap.placements) assert.ok(p.reason.code && p.reason.detail, `placement of ${p.spec_id} has no reason`);
  assert.ok(snap.placements.some((p) => p.spec_id === 'verify-hub' && p.node === 'ood1'));

  const text = await cli(['snapshot'], env);
  assert.match(text.stdout, /^scheduler snapshot rev \d+/);
  assert.match(text.stdout, /verify-hub \[kernel, running, 1\/1 started\]\n {4}on ood1: started because \w+:[\w-]+: /);

  const kept = (await cli(['kv', 'list', 'system/scheduler/history'], env)).stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
  const oldest = kept[0];
  assert.ok(oldest < snap.rev, `an older snapshot is kept (${kept.join(', ')})`);
  const diff = await cli(['snapshot', '--diff', String(oldest), '--json'], env);
  assert.equal(diff.code, 0, diff.stderr);
  const d = JSON.parse(diff.stdout) as { from: number; to: number; changes: unknown[] };
  assert.equal(d.from, oldest);
  assert.equal(d.to, snap.rev);
  assert.ok(d.changes.length > 0, 'the oldest kept snapshot differs from the current one');

  const gone = await cli(['snapshot', '--diff', '999999'], env);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, new RegExp(`NOT_FOUND: snapshot 999999 is not kept any more; kept revisions: ${oldest}, `));
});
