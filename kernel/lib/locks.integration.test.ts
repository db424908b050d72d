// Issue 14: the pid-file locks (kv/LOCK, the pkg-env locks) must not trust a bare pid. Real processes
// hold the real locks; the holder then dies as a zombie nothing reaps, or dies and an unrelated process
// gets its pid (through /proc/sys/kernel/ns_last_pid), and the next opener must take the lock over; a
// live holder still keeps it, and of several openers racing for a stale lock exactly one wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { openLogStore } from '../system-config/store/log-store.js';
import { LOCK_FILE } from '../system-config/store/dir-lock.js';
import { acquireFileLock } from '../pkg/lock.js';
import { isKrpcError } from './errors.js';
import { pollUntil, tempDirFor } from '../testing/harness.js';

const HOLDER = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'lock-holder.ts');
const linux = process.platform === 'linux';
type Ctx = { after(fn: () => Promise<void> | void): void };
interface HolderLine { ok: boolean; pid: number; error?: string }

function firstLine(child: ChildProcess): Promise<HolderLine> {
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    lines.once('line', (l) => resolve(JSON.parse(l) as HolderLine));
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before reporting`)));
  });
}

function track(t: Ctx, child: ChildProcess): ChildProcess {
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return child;
}

/** A holder that our Node process spawns (and so reaps when it dies). */
function holder(t: Ctx, kind: 'kv' | 'pkg', path: string, go = false): ChildProcess {
  return track(t, spawn(process.execPath, ['--import', 'tsx', HOLDER, kind, path, ...(go ? ['go'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] }));
}

const procState = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
};

/**
 * A holder whose parent never reaps it: `sh` starts it in the background and execs `sleep`, which
 * inherits it as a child and never waits. Once SIGKILLed it stays a zombie until the sleep ends.
 */
async function zombieHolder(t: Ctx, kind: 'kv' | 'pkg', path: string): Promise<number> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const parent = track(t, spawn('sh', ['-c', `${q(process.execPath)} --import tsx ${q(HOLDER)} ${kind} ${q(path)} & exec sleep 300`], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const line = await firstLine(parent);
  assert.ok(line.ok, `the holder took the lock: ${line.error}`);
  process.kill(line.pid, 'SIGKILL');
  await pollUntil('the killed holder to be an unreaped zombie', async () => (procState(line.pid) === 'Z' ? true : undefined), { timeoutMs: 20_000 });
  assert.doesNotThrow(() => process.kill(line.pid, 0), 'a zombie still answers kill(pid, 0): a bare pid check calls it alive');
  return line.pid;
}

const nsLastPid = '/proc/sys/kernel/ns_last_pid';
function pidReuseSkip(): string | false {
  if (!linux) return 'needs Linux /proc/sys/kernel/ns_last_pid';
  if (process.getuid?.() !== 0) return 'needs root to write /proc/sys/kernel/ns_last_pid';
  try {
    writeFileSync(nsLastPid, readFileSync(nsLastPid, 'utf8').trim());
  } catch (e) {
    return `cannot write ${nsLastPid}: ${(e as Error).message}`;
  }
  return false;
}

/**
 * Makes sure an unrelated process has `pid`: starts `sleep` with exactly that pid. On a busy machine
 * another process may already have taken the pid meanwhile; that is the same situation (a stranger has
 * the dead holder's pid), so it is accepted as long as it is not the holder itself.
 */
async function strangerWithPid(t: Ctx, pid: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (procState(pid) !== undefined) return; // someone else got it first: a stranger all the same
    writeFileSync(nsLastPid, String(pid - 1));
    const child = track(t, spawn('sleep', ['300'], { stdio: 'ignore' }));
    if (child.pid === pid) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  throw new Error(`could not start a process with pid ${pid} (something else keeps taking it)`);
}

/** A holder that took the lock and was then SIGKILLed and reaped: its pid is free. */
async function deadHolder(t: Ctx, kind: 'kv' | 'pkg', path: string): Promise<number> {
  const child = holder(t, kind, path);
  const line = await firstLine(child);
  assert.ok(line.ok, `the holder took the lock: ${line.error}`);
  child.kill('SIGKILL');
  await once(child, 'exit');
  return line.pid;
}

test('KV store: a SIGKILLed holder left as a zombie does not keep the store locked (new and old lock format)', { skip: !linux && 'zombies are told by /proc' }, async (t) => {
  const dir = await tempDirFor(t, 'locks-kv-zombie-');
  const pid = await zombieHolder(t, 'kv', dir);
  const lock = await readFile(join(dir, LOCK_FILE), 'utf8');
  assert.equal(lock.split('\n')[0], String(pid), 'the first line of LOCK is the bare pid, as older versions read it');
  const store = await openLogStore(dir);
  await store.transact(() => [{ key: 'k', value: 'v' }]);
  await store.close();
  // A lock from before the stamp (only the pid) naming the zombie: the pid rule plus the zombie check.
  await writeFile(join(dir, LOCK_FILE), `${pid}\n`);
  const again = await openLogStore(dir);
  assert.deepEqual(again.get('k'), { value: 'v', revision: 1 });
  await again.close();
});

test('KV store: after the holder died, an unrelated process with its pid does not keep the store locked', { skip: pidReuseSkip() }, async (t) => {
  const dir = await tempDirFor(t, 'locks-kv-reuse-');
  const pid = await deadHolder(t, 'kv', dir);
  await strangerWithPid(t, pid);
  assert.notEqual(procState(pid), undefined, 'a process with the dead holder\'s pid runs');
  assert.match(await readFile(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^${pid}\\n`), 'the dead holder\'s lock is still there');
  const store = await openLogStore(dir);
  await store.close();
});

test('KV store: an old-format lock naming our own pid was written by an earlier process that had it (e.g. before a reboot)', async (t) => {
  const dir = await tempDirFor(t, 'locks-kv-self-');
  await writeFile(join(dir, LOCK_FILE), `${process.pid}\n`);
  const store = await openLogStore(dir);
  await assert.rejects(openLogStore(dir), (e) => isKrpcError(e, 'FAILED_PRECONDITION') && /already open in this process/.test(e.message));
  await store.close();
});

test('KV store: a live holder still keeps it, and the refusal names the process', async (t) => {
  const dir = await tempDirFor(t, 'locks-kv-live-');
  const child = holder(t, 'kv', dir);
  const line = await firstLine(child);
  assert.ok(line.ok);
  await assert.rejects(openLogStore(dir), (e) => isKrpcError(e, 'FAILED_PRECONDITION') &&
    new RegExp(`in use by process ${line.pid}${linux ? ' \\(node\\)' : ''}; stop that process first`).test(e.message));
});

test('KV store: of several openers racing for a stale lock, exactly one wins', async (t) => {
  const dir = await tempDirFor(t, 'locks-kv-race-');
  for (let round = 0; round < 3; round++) {
    await deadHolder(t, 'kv', dir); // leaves a stale LOCK behind
    const racers = Array.from({ length: 3 }, () => holder(t, 'kv', dir, true));
    const lines = racers.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
    const next = async (i: number) => JSON.parse((await lines[i].next()).value as string) as HolderLine & { ready?: boolean };
    // every racer is up and waiting before they are all let go at once
    for (const [i] of racers.entries()) assert.equal((await next(i)).ready, true);
    for (const c of racers) c.stdin!.write('go\n');
    const ready = racers.map((_, i) => next(i));
    const results = await Promise.all(ready);
    const winners = results.filter((r) => r.ok);
    assert.equal(winners.length, 1, `round ${round}: exactly one opener wins: ${JSON.stringify(results)}`);
    for (const r of results.filter((x) => !x.ok)) assert.match(r.error!, new RegExp(`in use by process ${winners[0].pid}\\b`));
    for (const c of racers) if (c.exitCode === null) { c.kill('SIGKILL'); await once(c, 'exit'); }
  }
});

test('pkg-env lock: a zombie holder and a reused pid do not block; a live holder does, named', async (t) => {
  const dir = await tempDirFor(t, 'locks-pkg-');
  const path = join(dir, '.lock');
  if (linux) {
    await zombieHolder(t, 'pkg', path);
    const release = await acquireFileLock(path, { timeoutMs: 10_000 });
    await release();
  }
  const skip = pidReuseSkip();
  if (skip) t.diagnostic(`pid reuse part skipped: ${skip}`);
  else {
    const pid = await deadHolder(t, 'pkg', path);
    await strangerWithPid(t, pid);
    const release = await acquireFileLock(path, { timeoutMs: 10_000 });
    await release();
  }
  const child = holder(t, 'pkg', path);
  const line = await firstLine(child);
  assert.ok(line.ok);
  await assert.rejects(acquireFileLock(path, { timeoutMs: 300, what: 'pkg app' }), (e) => isKrpcError(e, 'TIMEOUT') &&
    new RegExp(`pkg app is locked by process ${line.pid}${linux ? ' \\(node\\)' : ''}`).test(e.message));
});
