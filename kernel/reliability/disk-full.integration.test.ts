// Issue 14, disk full: the data folder on a small tmpfs (root mounts one; elsewhere the test says loudly
// that it could not run). A KV write that finds no room is refused with RESOURCE_EXHAUSTED and changes
// nothing; the store keeps serving reads and takes writes again as soon as there is room, without a
// restart; every acknowledged write survives a reopen.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { activatedOod, cli, stopWithApps, tempDir } from '../testing/harness.js';
import { isKrpcError } from '../lib/errors.js';
import { openLogStore } from '../system-config/store/log-store.js';
import { SystemConfigClient } from '../system-config/client.js';
import { login } from '../cli/session.js';

const mounts: string[] = [];
const dirs: Array<{ remove(): Promise<void> }> = [];
after(async () => {
  for (const m of mounts) try { execFileSync('umount', [m]); } catch { /* already gone */ }
  await Promise.all(dirs.map((d) => d.remove()));
});

/** A tmpfs of `mib` MiB, or the reason there cannot be one here. */
async function smallDisk(mib: number): Promise<string | { cannot: string }> {
  const dir = await tempDir('buckyos-full-');
  dirs.push(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir.path], { stdio: 'pipe' });
  } catch (e) {
    return { cannot: `could not mount a ${mib} MiB tmpfs (needs root and mount rights): ${(e as Error).message.split('\n')[0]}` };
  }
  mounts.push(dir.path);
  return dir.path;
}

/** Fills the disk under `dir` with one file until fewer than `leaveBytes` are free. */
function fill(dir: string, leaveBytes: number): Promise<void> {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n')[1]);
  return writeFile(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leaveBytes), 1));
}

const value = (i: number, bytes: number) => `${i}:`.padEnd(bytes, 'x');

test('KV store: a write that finds the disk full is refused with RESOURCE_EXHAUSTED, nothing changes, and writes resume when there is room', async (t) => {
  const disk = await smallDisk(4);
  if (typeof disk !== 'string') return t.skip(`LOUD SKIP: ${disk.cannot}`);
  const kvDir = join(disk, 'kv');
  await mkdir(kvDir);
  // 64 KiB preallocation chunks, so the log must grow often.
  let store = await openLogStore(kvDir, { compactAfterBytes: 256 * 1024 });
  await fill(disk, 200 * 1024);
  const acknowledged = new Map<string, string>();
  let refusal: unknown;
  for (let i = 0; i < 200 && !refusal; i++) {
    const key = `users/alice/apps/notes/k${i % 7}`;
    const v = value(i, 16 * 1024);
    try {
      await store.transact(() => [{ key, value: v }]);
      acknowledged.set(key, v);
    } catch (e) {
      refusal = e;
    }
  }
  assert.ok(isKrpcError(refusal, 'RESOURCE_EXHAUSTED'), `expected RESOURCE_EXHAUSTED, got ${String(refusal)}`);
  assert.match((refusal as Error).message, /disk .* is full, so nothing was written; free some space/);
  const revision = store.globalRevision();
  for (const [k, v] of acknowledged) assert.equal(store.get(k)?.value, v, 'reads still serve the acknowledged state');

  // Still full: refused again, the same way (the store did not give up for good).
  await assert.rejects(store.transact(() => [{ key: 'users/alice/apps/notes/again', value: value(0, 16 * 1024) }]), (e) => isKrpcError(e, 'RESOURCE_EXHAUSTED'));
  assert.equal(store.globalRevision(), revision, 'a refused write changes nothing');

  // Room again: the next write goes through without a restart, at the next revision.
  await rm(join(disk, 'filler'));
  assert.equal(await store.transact(() => [{ key: 'users/alice/apps/notes/after', value: 'room again' }]), revision + 1);
  acknowledged.set('users/alice/apps/notes/after', 'room again');
  await store.close();

  store = await openLogStore(kvDir, { compactAfterBytes: 256 * 1024 });
  assert.equal(store.globalRevision(), revision + 1);
  for (const [k, v] of acknowledged) assert.equal(store.get(k)?.value, v, `${k} survived the reopen`);
  await store.close();
});

test('a real OOD on a full disk: `buckyos kv set` says the disk is full with a next step, and works again once there is room', async (t) => {
  const disk = await smallDisk(96);
  if (typeof disk !== 'string') return t.skip(`LOUD SKIP: ${disk.cannot}`);
  const { ood, env } = await activatedOod({ dataDir: join(disk, 'data') });
  try {
    // Leave less room than one preallocation chunk of the KV log (4 MiB), then write until it is used up.
    await fill(disk, 2 * 1024 * 1024);
    const session = await login({ zone: env.BUCKYOS_ZONE, user: 'alice', password: env.BUCKYOS_PASSWORD });
    const kv = new SystemConfigClient(`${env.BUCKYOS_ZONE}/kapi/system_config`, session.sessionToken);
    let refusal: unknown;
    for (let i = 0; i < 200 && !refusal; i++) {
      await kv.set('users/alice/profile', JSON.stringify({ big: value(i, 100 * 1024) })).catch((e: unknown) => { refusal = e; });
    }
    assert.ok(isKrpcError(refusal, 'RESOURCE_EXHAUSTED'), `expected RESOURCE_EXHAUSTED over kRPC, got ${String(refusal)}`);
    const refused = await cli(['kv', 'set', 'users/alice/profile', JSON.stringify({ big: value(99, 100 * 1024) })], env);
    assert.notEqual(refused.code, 0, 'the CLI write went through on a full disk');
    assert.match(refused.stderr, /RESOURCE_EXHAUSTED: .*disk .* is full, so nothing was written/);
    assert.match(refused.stderr, /Free some space there; nothing needs restarting/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');

    await rm(join(disk, 'filler'));
    const again = await cli(['kv', 'set', 'users/alice/profile', '{"room":"again"}'], env);
    assert.equal(again.code, 0, again.stderr + ood.log().slice(-2000));
    const read = await cli(['kv', 'get', 'users/alice/profile'], env);
    assert.match(read.stdout, /"room":\s*"again"/);
  } finally {
    await stopWithApps(ood);
  }
});
