// Child process of crash.integration.test.ts: opens a LogStore and writes from many concurrent
// workers until it is killed. Every line on stdout is JSON:
//   {"ready":rev}                                      the store is open
//   {"i":w,"n":n,"puts":[[key,value|null,keyRev]…]}    intent, printed by the plan (before queueing)
//   {"i":w,"n":n,"shared":counter}                     intent of an increment of the shared counter
//   {"a":w,"n":n,"g":globalRevision}                   ack, printed only after transact() resolved
//   {"msg":"KV compaction started"|…}                  store log lines (debug level)
// Each worker's ops are sequential, so at most its last intent is unacknowledged. Lines go out with
// writeSync on fd 1, never through process.stdout: that stream queues in memory when the pipe is full,
// and a queued ack would die with the process although its write was durable.
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import { createLogger } from '../../lib/log.js';
import { openLogStore } from './log-store.js';
import type { KvPut, KvView } from './types.js';

const [dir, roundArg, compactArg, workersArg] = process.argv.slice(2);
const round = Number(roundArg);
const workers = Number(workersArg);

function writeOut(text: string): void {
  const data = Buffer.from(text, 'utf8');
  for (let off = 0; off < data.length;) {
    try {
      off += writeSync(1, data, off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}
const print = (line: object) => writeOut(JSON.stringify(line) + '\n');
const out = new Writable({ write(chunk: Buffer, _enc, done) { writeOut(chunk.toString('utf8')); done(); } });

const store = await openLogStore(dir, { compactAfterBytes: Number(compactArg), log: createLogger('kv', { level: 'debug', out }) });
print({ ready: store.globalRevision() });
// A parent that died without killing us must not leave us running forever.
setTimeout(() => process.exit(3), 30_000).unref();

function ownPuts(w: number, n: number, view: KvView): KvPut[] {
  const tag = `${w}:${round}:${n}`;
  const own = `w${w}/k${Math.floor(Math.random() * 8)}`;
  const dice = Math.random();
  if (dice < 0.55) return [{ key: own, value: tag }];
  if (dice < 0.7) return [{ key: own, value: null }];
  return [`tx/${w}/a`, `tx/${w}/b`, `tx/${w}/c`, own].map((key) => ({ key, value: key === own && view.get(key) ? null : tag }));
}

async function worker(w: number): Promise<void> {
  for (let n = 0; ; n++) {
    let g: number;
    if (Math.random() < 0.15) {
      g = await store.transact((view) => {
        const next = Number(view.get('shared/counter')?.value ?? '0') + 1;
        print({ i: w, n, shared: next });
        return [{ key: 'shared/counter', value: String(next) }, { key: 'shared/mirror', value: String(next) }];
      });
    } else {
      g = await store.transact((view) => {
        const puts = ownPuts(w, n, view);
        print({ i: w, n, puts: puts.map((p) => [p.key, p.value, view.revisionOf(p.key) + 1]) });
        return puts;
      });
    }
    print({ a: w, n, g });
  }
}

await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
