// Crash test: a child process (crash-writer.ts) does acknowledged writes from many concurrent workers
// and is SIGKILLed at random points, some rounds right as a compaction starts. After each kill the
// store is reopened here and checked: it opens, every acknowledged write is there, every transaction
// is all-or-nothing, revisions are consistent, and a second reopen sees exactly the same state.
// Rounds: CRASH_ROUNDS (default 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLogStore } from './log-store.js';
import type { KvStore } from './types.js';
import { tempDirFor } from '../../testing/harness.js';

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
const WORKERS = 24;
const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'crash-writer.ts');

type Put = [key: string, value: string | null, keyRevision: number];
interface Op { n: number; puts?: Put[]; shared?: number; acked?: number }
interface RoundLog { ops: Map<number, Op[]>; compactionStarts: number; compactionsDone: number; lastEventWasStart: boolean }

interface KeyState { value: string | null; revision: number }
const stateOf = (store: KvStore, key: string): KeyState => ({ value: store.get(key)?.value ?? null, revision: store.revisionOf(key) });

function dump(store: KvStore) {
  return { revision: store.globalRevision(), entries: store.keysWithPrefix('').sort().map((k) => [k, store.get(k)]) };
}

/** Runs one child until it is killed; `killWhen` decides from each stdout line (or a timer) when to SIGKILL. */
async function runChild(dir: string, round: number, compactAfterBytes: number, killOn: 'timer' | 'compaction'): Promise<RoundLog> {
  const log: RoundLog = { ops: new Map(), compactionStarts: 0, compactionsDone: 0, lastEventWasStart: false };
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, String(round), String(compactAfterBytes), String(WORKERS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  // 'close', not 'exit': only then has every line the child wrote been read from the pipe.
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  const killAfterCompactions = 1 + Math.floor(Math.random() * 3);
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 8_000);
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const ev = JSON.parse(line);
      if ('ready' in ev) {
        if (killOn === 'timer') setTimeout(() => child.kill('SIGKILL'), 20 + Math.random() * 250);
      } else if (ev.msg === 'KV compaction started') {
        log.compactionStarts++;
        log.lastEventWasStart = true;
        if (killOn === 'compaction' && log.compactionStarts === killAfterCompactions) child.kill('SIGKILL');
      } else if (ev.msg === 'KV compaction done') {
        log.compactionsDone++;
        log.lastEventWasStart = false;
      } else if ('i' in ev) {
        const ops = log.ops.get(ev.i) ?? [];
        ops.push({ n: ev.n, puts: ev.puts, shared: ev.shared });
        log.ops.set(ev.i, ops);
      } else if ('a' in ev) {
        const op = log.ops.get(ev.a)?.at(-1);
        assert.ok(op && op.n === ev.n, 'an ack answers the worker\'s latest intent');
        op.acked = ev.g;
      }
    }
  });
  const signal = await exited;
  clearTimeout(watchdog);
  assert.equal(signal, 'SIGKILL', `the writer died on its own: ${stderr.slice(-2000)}`);
  return log;
}

/**
 * Checks the reopened store against the model (each worker's keys as of the last check) plus this
 * round's log, then advances the model to what the store holds.
 */
function verifyRound(store: KvStore, model: Map<string, KeyState>, log: RoundLog): void {
  let maxAcked = 0;
  const sharedAcked: number[] = [];
  for (const [worker, ops] of log.ops) {
    for (const [i, op] of ops.entries()) {
      const inFlight = op.acked === undefined;
      assert.ok(!inFlight || i === ops.length - 1, `worker ${worker}: only its last op can be unacknowledged`);
      if (op.acked !== undefined) maxAcked = Math.max(maxAcked, op.acked);
      if (op.shared !== undefined) {
        if (!inFlight) sharedAcked.push(op.shared);
        continue;
      }
      const puts = op.puts!;
      for (const [key, , keyRevision] of puts)
        assert.equal(keyRevision, (model.get(key)?.revision ?? 0) + 1, `worker ${worker} op ${op.n}: planned revision of ${key} follows the last one`);
      if (inFlight) {
        const landed = puts.map(([key, value, revision]) => {
          const now = stateOf(store, key);
          if (now.revision === revision) { assert.equal(now.value, value, `${key}: the landed in-flight value`); return true; }
          assert.deepEqual(now, model.get(key) ?? { value: null, revision: 0 }, `${key}: unchanged when the in-flight op did not land`);
          return false;
        });
        assert.ok(landed.every((x) => x) || landed.every((x) => !x), `worker ${worker} op ${op.n} landed partly: ${JSON.stringify(landed)}`);
      }
      for (const [key, value, revision] of puts) if (!inFlight) model.set(key, { value, revision });
    }
  }
  const inFlightKeys = new Set([...log.ops.values()].flatMap((ops) => (ops.at(-1)?.acked === undefined ? ops.at(-1)?.puts ?? [] : [])).map((p) => p[0]));
  for (const [key, expected] of model)
    if (!inFlightKeys.has(key)) assert.deepEqual(stateOf(store, key), expected, `${key} holds its last acknowledged write`);
  for (const [key] of model) model.set(key, stateOf(store, key));
  for (const ops of log.ops.values()) for (const op of ops) for (const [key] of op.puts ?? []) model.set(key, stateOf(store, key));

  assert.ok(store.globalRevision() >= maxAcked, `global revision ${store.globalRevision()} covers every ack (max ${maxAcked})`);
  const counter = Number(store.get('shared/counter')?.value ?? '0');
  assert.equal(store.revisionOf('shared/counter'), counter, 'the shared counter moved once per increment');
  for (const n of sharedAcked) assert.ok(n <= counter, `acknowledged increment ${n} is within the counter ${counter}`);
  assert.equal(new Set(sharedAcked).size, sharedAcked.length, 'no two increments read the same counter');
  assert.deepEqual(store.get('shared/mirror'), store.get('shared/counter'), 'the counter and its mirror move together');
  for (const key of store.keysWithPrefix('tx/')) {
    const group = key.slice(0, key.lastIndexOf('/'));
    const a = store.get(`${group}/a`), b = store.get(`${group}/b`), c = store.get(`${group}/c`);
    assert.deepEqual([b, c], [a, a], `${group}: a transaction's keys move together`);
  }
  for (const key of store.keysWithPrefix('')) assert.equal(store.get(key)!.revision, store.revisionOf(key));
}

test(`the store keeps every acknowledged write across ${ROUNDS} kill -9 rounds`, { timeout: 60_000 + ROUNDS * 5_000 }, async (t) => {
  const dir = await tempDirFor(t, 'kv-crash-');
  const model = new Map<string, KeyState>();
  let killedMidCompaction = 0;
  let compactionRounds = 0;
  let acked = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const duringCompaction = round % 2 === 1;
    const log = await runChild(dir, round, duringCompaction ? 1 : 64 * 1024, duringCompaction ? 'compaction' : 'timer');
    if (duringCompaction) compactionRounds++;
    if (process.env.CRASH_VERBOSE) t.diagnostic(`round ${round}: ${log.compactionStarts} compactions started, ${[...log.ops.values()].reduce((s, o) => s + o.length, 0)} ops`);
    if (log.lastEventWasStart) killedMidCompaction++;
    acked += [...log.ops.values()].reduce((sum, ops) => sum + ops.filter((o) => o.acked !== undefined).length, 0);

    const store = await openLogStore(dir);
    let before;
    try {
      verifyRound(store, model, log);
      before = dump(store);
    } finally {
      await store.close();
    }
    const again = await openLogStore(dir);
    try {
      assert.deepEqual(dump(again), before, 'a second reopen sees the same state');
    } finally {
      await again.close();
    }
  }
  t.diagnostic(`${acked} acknowledged writes over ${ROUNDS} rounds; killed while a compaction was running in ${killedMidCompaction} rounds (${compactionRounds} rounds aimed at one)`);
  assert.ok(acked > ROUNDS * 10, 'the writer got real work done before each kill');
  if (compactionRounds >= 3) assert.ok(killedMidCompaction >= 1, 'at least one kill landed while a compaction was running');
});
