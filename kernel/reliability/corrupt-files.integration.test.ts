// Issue 14, corrupt files: a damaged identity file, a damaged KV log or snapshot, each on a copy of a
// real activated OOD's data folder. The OOD must refuse to start with a sentence that names the file
// and what to do, must never treat the damage as "not activated" (no setup page on :3182 that would
// hand the device to whoever activates it first), and must leave the damaged file as it was (it is the
// owner's evidence and maybe their only copy). A torn KV log tail, what a power cut leaves, is the one
// damage repaired by itself: the OOD starts with every acknowledged key.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, cli, pollUntil, portIsOpen, randomLoopback, spawnOod, stopWithApps, tempDir, TEST_PASSWORD } from '../testing/harness.js';
import { dataPaths } from '../lib/paths.js';
import { openLogStore } from '../system-config/store/log-store.js';

let template: { path: string; remove(): Promise<void> };
const cases: Array<{ remove(): Promise<void> }> = [];

before(async () => {
  const { ood, env, dir } = await activatedOod();
  // An acknowledged write the torn-tail case must find again.
  const set = await cli(['kv', 'set', 'users/alice/profile', '{"acknowledged":true}'], env);
  assert.equal(set.code, 0, set.stderr);
  await stopWithApps(ood);
  template = dir;
});
after(async () => {
  await Promise.all([template?.remove(), ...cases.map((c) => c.remove())]);
});

async function copyOfTemplate(): Promise<string> {
  const dir = await tempDir('buckyos-corrupt-');
  cases.push(dir);
  await cp(template.path, dir.path, { recursive: true, preserveTimestamps: true });
  return dir.path;
}

const digest = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

async function kvFiles(root: string): Promise<{ segments: string[]; snapshot?: string }> {
  const kv = dataPaths(root).kv;
  const names = (await readdir(kv)).sort();
  const snapshot = names.find((n) => n.includes('snapshot'));
  return { segments: names.filter((n) => n.endsWith('.log')).map((n) => join(kv, n)), snapshot: snapshot && join(kv, snapshot) };
}

/** Starts the OOD on `root` and expects it to refuse: exit non-zero, no setup page, the file untouched. */
async function refusesToStart(root: string, damaged: string, expect: RegExp): Promise<string> {
  const before = await digest(damaged);
  const host = randomLoopback();
  const ood = spawnOod(root, host);
  let code: number | null | undefined;
  ood.child.once('exit', (c) => (code = c));
  const deadline = Date.now() + 120_000;
  while (code === undefined && Date.now() < deadline) {
    if (await portIsOpen(host, 3182)) {
      await ood.kill('SIGKILL');
      assert.fail(`the damaged device offered its setup page, as if it were not activated:\n${ood.log().slice(-1500)}`);
    }
    await sleep(50);
  }
  await ood.kill('SIGKILL');
  assert.notEqual(code, undefined, `the OOD neither refused nor stopped within 120 s on a damaged ${damaged}:\n${ood.log().slice(-1500)}`);
  assert.notEqual(code, 0, `the OOD exited 0 on a damaged ${damaged}:\n${ood.log().slice(-1500)}`);
  const said = ood.log();
  assert.match(said, expect, said.slice(-1500));
  assert.doesNotMatch(said, /\n\s+at .+\(.*\.[jt]s:\d+:\d+\)/, `a stack trace was shown:\n${said.slice(-1500)}`);
  assert.equal(await digest(damaged), before, 'the damaged file was changed');
  return said;
}

test('a truncated node identity: refused with what to do, never treated as not activated', async () => {
  const root = await copyOfTemplate();
  const file = dataPaths(root).nodeIdentity;
  await truncate(file, Math.floor((await stat(file)).size / 2));
  await refusesToStart(root, file, /node_identity\.json.*(backup|reset)/s);
});

test('a device key that is not a key: refused with what to do', async () => {
  const root = await copyOfTemplate();
  const file = dataPaths(root).deviceKey;
  await writeFile(file, 'not a key\n');
  await refusesToStart(root, file, /device_key\.pem.*(backup|reset)/s);
});

test('a device document whose signature was damaged: refused with what to do', async () => {
  const root = await copyOfTemplate();
  const file = dataPaths(root).deviceDocJwt;
  const jwt = (await readFile(file, 'utf8')).trim();
  const flipped = jwt.slice(0, -4) + (jwt.slice(-4, -3) === 'A' ? 'B' : 'A') + jwt.slice(-3);
  await writeFile(file, flipped + '\n');
  await refusesToStart(root, file, /device_doc\.jwt.*(backup|reset)/s);
});

test('a KV log damaged in the middle, with records after the damage: refused, the kv folder named', async () => {
  const root = await copyOfTemplate();
  const { segments } = await kvFiles(root);
  const file = segments.at(-1)!;
  const bytes = await readFile(file);
  // Segments are preallocated with zeros: damage one byte in the middle of the written records.
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  assert.ok(end > 1024, 'the log has records');
  // Walk the records ([u32 length][u32 crc][payload]) to the one in the middle and damage its payload.
  let at = 0;
  while (at + 8 + bytes.readUInt32LE(at) < end / 2) at += 8 + bytes.readUInt32LE(at);
  bytes[at + 8 + Math.floor(bytes.readUInt32LE(at) / 2)] ^= 0xff;
  await writeFile(file, bytes);
  await refusesToStart(root, file, /KV log .*damaged.*restore the kv folder from a backup/s);
});

test('a KV snapshot that is not a snapshot: refused, the kv folder named', async () => {
  const root = await copyOfTemplate();
  // A young zone has not compacted its log yet: make the store write its snapshot, as it does over time.
  const store = await openLogStore(dataPaths(root).kv, { compactAfterBytes: 4096 });
  for (let i = 0; i < 64; i++) await store.transact(() => [{ key: `users/alice/apps/notes/filler${i}`, value: 'x'.repeat(200) }]);
  await store.close();
  const { snapshot } = await kvFiles(root);
  assert.ok(snapshot, 'the store wrote a snapshot');
  await writeFile(snapshot, '{"format": "something else"');
  await refusesToStart(root, snapshot, /KV snapshot .*restore the kv folder from a backup/s);
});

test('a torn KV log tail (what a power cut leaves) is cut off by itself: the OOD starts with every acknowledged key', async () => {
  const root = await copyOfTemplate();
  const { segments } = await kvFiles(root);
  const file = segments.at(-1)!;
  // Half a record header of zeros and garbage after the last full record, as a write cut short leaves it.
  await writeFile(file, Buffer.concat([await readFile(file), Buffer.from([0x30, 0x00])]));
  const host = randomLoopback();
  const ood = spawnOod(root, host);
  try {
    const env = { BUCKYOS_ZONE: `http://${host}:3180`, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };
    const got = await pollUntil('the acknowledged key after restart', async () => {
      if (!(await portIsOpen(host, 3180))) return undefined;
      const r = await cli(['kv', 'get', 'users/alice/profile'], env);
      return r.code === 0 ? r.stdout : undefined;
    }, { timeoutMs: 90_000, context: () => ood.log().slice(-1500) });
    assert.match(got, /"acknowledged":\s*true/);
  } finally {
    await stopWithApps(ood);
  }
});
