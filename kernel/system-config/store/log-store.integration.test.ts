// LogStore behaviour beyond the shared contract: durability-before-visibility, torn tails, compaction
// and the leftovers of interrupted compactions, damaged files, the folder lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { JSONFile } from 'lowdb/node';
import { openLogStore, type LogStore, type LogStoreOptions } from './log-store.js';
import { LOCK_FILE } from './dir-lock.js';
import { encodeRecord } from './log-record.js';
import { SNAPSHOT_FILE, writeSnapshot, type KvSnapshotDoc } from './snapshot.js';
import { isKrpcError } from '../../lib/errors.js';
import type { KvStore } from './types.js';
import { tempDirFor } from '../../testing/harness.js';

type TestContext = { after(fn: () => Promise<void>): void };
const tempDir = (t: TestContext) => tempDirFor(t, 'kv-logstore-');

/** Opens a store that is closed when `t` ends even if an assertion fails first (close is idempotent). */
async function openStore(t: TestContext, dir: string, opts?: LogStoreOptions): Promise<LogStore> {
  const store = await openLogStore(dir, opts);
  t.after(() => store.close());
  return store;
}

const walFiles = async (dir: string) => (await readdir(dir)).filter((n) => n.startsWith('wal-')).sort();

function dump(store: KvStore) {
  const keys = store.keysWithPrefix('').sort();
  return { revision: store.globalRevision(), entries: keys.map((k) => [k, store.get(k)]) };
}

async function writeMany(store: KvStore, n: number, keys = 50): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) =>
    store.transact(() => (i % 7 === 3 ? [{ key: `k/${i % keys}`, value: null }] : [{ key: `k/${i % keys}`, value: `v${i}`.padEnd(40, '.') }]))));
}

test('a write becomes readable only once it is durable', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const pending = store.transact(() => [{ key: 'a', value: '1' }]);
  assert.equal(store.get('a'), undefined);
  assert.equal(store.globalRevision(), 0);
  assert.deepEqual(store.changesSince(0), []);
  assert.equal(await pending, 1);
  assert.deepEqual(store.get('a'), { value: '1', revision: 1 });
  await store.close();
});

test('a put with a non-string value or a non-array plan result is refused and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  await assert.rejects(store.transact(() => [{ key: 'a', value: 42 as unknown as string }]), TypeError);
  await assert.rejects(store.transact(() => [{ key: undefined as unknown as string, value: 'x' }]), TypeError);
  await assert.rejects(store.transact(() => ({}) as unknown as []), TypeError);
  assert.equal(store.globalRevision(), 0);
  await store.close();
  const reopened = await openStore(t, dir);
  assert.equal(reopened.globalRevision(), 0);
  await reopened.close();
});

async function writeAt(path: string, position: number, bytes: number[]): Promise<void> {
  const fh = await open(path, 'r+');
  try { await fh.write(Buffer.from(bytes), 0, bytes.length, position); } finally { await fh.close(); }
}

test('a torn tail is zeroed on open and later writes survive another reopen', async (t) => {
  const dir = await tempDir(t);
  let store = await openStore(t, dir);
  await writeMany(store, 40);
  const before = dump(store);
  const valid = store.stats().logBytes;
  await store.close();
  const [wal] = await walFiles(dir);
  const path = join(dir, wal);
  // Half a record in the preallocated zeros: a length that promises more bytes than were written.
  await writeAt(path, valid, [200, 0, 0, 0, 1, 2, 3, 4, 123, 34]);
  store = await openStore(t, dir);
  assert.deepEqual(dump(store), before);
  assert.ok((await readFile(path)).subarray(valid).every((b) => b === 0), 'the torn bytes are zeroed');
  await store.transact(() => [{ key: 'after', value: 'tear' }]);
  const validNow = store.stats().logBytes;
  await store.close();
  // A complete header whose payload does not match its checksum, and junk appended past the preallocation.
  await writeAt(path, validNow, [5, 0, 0, 0, 0, 0, 0, 0, 49, 50, 51, 52, 53]);
  await appendFile(path, Buffer.from('junk'));
  store = await openStore(t, dir);
  assert.equal(store.globalRevision(), before.revision + 1);
  assert.deepEqual(store.get('after'), { value: 'tear', revision: 1 });
  await store.close();
});

test('a transaction bigger than one log write is refused and nothing is written', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const big = 'x'.repeat(1024 * 1024);
  await assert.rejects(store.transact(() => Array.from({ length: 9 }, (_, i) => ({ key: `big/${i}`, value: big }))), (e) => isKrpcError(e, 'PAYLOAD_TOO_LARGE'));
  assert.equal(await store.transact(() => [{ key: 'small', value: 'ok' }]), 1);
  assert.equal(store.revisionOf('big/0'), 0);
  await store.close();
});

test('compaction writes a lowdb-readable snapshot, prunes old segments and keeps the state', async (t) => {
  const dir = await tempDir(t);
  let store: LogStore = await openStore(t, dir, { compactAfterBytes: 4096 });
  for (let round = 0; round < 20; round++) await writeMany(store, 30);
  const before = dump(store);
  await store.close();
  assert.ok((await walFiles(dir)).length <= 2, `old segments are pruned: ${await walFiles(dir)}`);
  const doc = await new JSONFile<KvSnapshotDoc>(join(dir, SNAPSHOT_FILE)).read();
  assert.ok(doc && doc.format === 1 && doc.revision > 0 && doc.revision <= before.revision);
  store = await openStore(t, dir, { compactAfterBytes: 4096 });
  assert.equal(store.stats().snapshotRevision, doc.revision);
  // Compaction starts once the log outgrows max(compactAfterBytes, 2 × snapshot), plus the batch in flight;
  // on a loaded machine a compaction may still be writing while more batches land, so allow twice that
  // (still well under the ~60 KB the test writes: the log was cut).
  const snapshotBytes = (await stat(join(dir, SNAPSHOT_FILE))).size;
  const bound = 2 * Math.max(4 * 4096, 2 * snapshotBytes + 8192); // the threshold used the snapshot of its time
  assert.ok(store.stats().logBytes < bound, `log stays small: ${store.stats().logBytes} ≥ ${bound}`);
  assert.deepEqual(dump(store), before);
  for (const [key, entry] of Object.entries(doc.entries)) assert.ok(store.revisionOf(key) >= entry.revision);
  await store.close();
});

test('reopening after a compaction was interrupted after its rename replays only newer records', async (t) => {
  const dir = await tempDir(t);
  let store = await openStore(t, dir);
  await writeMany(store, 60);
  const keys = Array.from({ length: 50 }, (_, i) => `k/${i}`);
  // The state at revision R, as a compaction at R would have captured it.
  const atR = {
    revision: store.globalRevision(),
    entries: new Map(keys.flatMap((k) => { const e = store.get(k); return e ? [[k, e] as const] : []; })),
    tombstones: new Map(keys.flatMap((k) => (!store.get(k) && store.revisionOf(k) > 0 ? [[k, store.revisionOf(k)] as const] : []))),
  };
  await writeMany(store, 60);
  const before = dump(store);
  const revisions = keys.map((k) => store.revisionOf(k));
  await store.close();
  const [wal] = await walFiles(dir);
  await writeSnapshot(dir, atR);
  await writeFile(join(dir, `wal-${String(before.revision + 1).padStart(16, '0')}.log`), '');
  await writeFile(join(dir, `.${SNAPSHOT_FILE}.abcdef.tmp`), '{"half":');

  store = await openStore(t, dir);
  assert.deepEqual(dump(store), before);
  assert.deepEqual(keys.map((k) => store.revisionOf(k)), revisions);
  assert.equal(store.stats().snapshotRevision, atR.revision);
  assert.ok(!(await readdir(dir)).some((n) => n.endsWith('.tmp')), 'the half-written snapshot is removed');
  assert.ok((await walFiles(dir)).includes(wal), 'the segment still holds records after the snapshot');
  await store.transact(() => [{ key: 'k/0', value: 'later' }]);
  await store.close();
  store = await openStore(t, dir);
  assert.equal(store.globalRevision(), before.revision + 1);
  assert.equal(store.get('k/0')?.value, 'later');
  await store.close();
});

test('segments wholly covered by the snapshot are removed on open', async (t) => {
  const dir = await tempDir(t);
  let store = await openStore(t, dir);
  await writeMany(store, 30);
  const before = dump(store);
  const state = {
    revision: store.globalRevision(),
    entries: new Map(store.keysWithPrefix('').map((k) => [k, store.get(k)!] as const)),
    tombstones: new Map(Array.from({ length: 50 }, (_, i) => `k/${i}`).filter((k) => !store.get(k) && store.revisionOf(k) > 0).map((k) => [k, store.revisionOf(k)] as const)),
  };
  await store.close();
  const [oldWal] = await walFiles(dir);
  await writeSnapshot(dir, state);
  await writeFile(join(dir, `wal-${String(before.revision + 1).padStart(16, '0')}.log`), '');
  store = await openStore(t, dir);
  assert.deepEqual(dump(store), before);
  assert.ok(!(await walFiles(dir)).includes(oldWal));
  await store.close();
});

test('a damaged record with acknowledged records after it refuses to open instead of cutting them', async (t) => {
  const dir = await tempDir(t);
  let store = await openStore(t, dir);
  const big = 'x'.repeat(32 * 1024);
  await Promise.all(Array.from({ length: 300 }, (_, i) => store.transact(() => [{ key: `big/${i}`, value: big }])));
  await store.close();
  const [wal] = await walFiles(dir);
  const data = await readFile(join(dir, wal));
  data[100] ^= 0xff;
  await writeFile(join(dir, wal), data);
  await assert.rejects(openStore(t, dir), (e) => isKrpcError(e, 'INTEGRITY') && /damaged/.test(e.message));
  assert.ok(!(await readdir(dir)).includes(LOCK_FILE), 'a failed open releases the lock');
});

test('a damaged segment that newer segments follow refuses to open', async (t) => {
  const dir = await tempDir(t);
  const rec = (r: number) => encodeRecord(r, [{ key: 'k', value: `v${r}` }]);
  const first = Buffer.concat([rec(1), rec(2), rec(3)]);
  await writeFile(join(dir, 'wal-0000000000000001.log'), first.subarray(0, first.length - 3));
  await writeFile(join(dir, 'wal-0000000000000004.log'), rec(4));
  await assert.rejects(openStore(t, dir), (e) => isKrpcError(e, 'INTEGRITY') && /wal-0000000000000001/.test(e.message));
  await writeFile(join(dir, 'wal-0000000000000001.log'), first);
  const store = await openStore(t, dir);
  assert.deepEqual(store.get('k'), { value: 'v4', revision: 4 });
  await store.close();
});

test('a gap between segments refuses to open', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'wal-0000000000000001.log'), encodeRecord(1, [{ key: 'k', value: 'a' }]));
  await writeFile(join(dir, 'wal-0000000000000003.log'), encodeRecord(3, [{ key: 'k', value: 'c' }]));
  await assert.rejects(openStore(t, dir), (e) => isKrpcError(e, 'INTEGRITY') && /jumps from revision 1 to 3/.test(e.message));
});

test('the folder lock refuses a second opener and takes over a dead owner\'s lock', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  await assert.rejects(openStore(t, dir), (e) => isKrpcError(e, 'FAILED_PRECONDITION') && /already open in this process/.test(e.message));
  await store.close();
  await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`);
  await assert.rejects(openStore(t, dir), (e) => isKrpcError(e, 'FAILED_PRECONDITION') && new RegExp(`process ${process.ppid}`).test(e.message));
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  await writeFile(join(dir, LOCK_FILE), dead.stdout);
  const reopened = await openStore(t, dir);
  assert.equal(reopened.globalRevision(), 0);
  await reopened.close();
  assert.ok(!(await readdir(dir)).includes(LOCK_FILE));
});

test('close waits for queued writes, then refuses new ones', async (t) => {
  const dir = await tempDir(t);
  const store = await openStore(t, dir);
  const writes = Array.from({ length: 100 }, (_, i) => store.transact(() => [{ key: `c/${i}`, value: 'v' }]));
  await store.close();
  assert.equal((await Promise.all(writes)).at(-1), 100);
  await assert.rejects(store.transact(() => [{ key: 'late', value: 'v' }]), (e) => isKrpcError(e, 'UNAVAILABLE'));
  const reopened = await openStore(t, dir);
  assert.equal(reopened.keysWithPrefix('c/').length, 100);
  await reopened.close();
});
