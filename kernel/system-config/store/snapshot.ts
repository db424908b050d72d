// The KV snapshot: a plain JSON object in lowdb's file format (lowdb's JSONFile<KvSnapshotDoc> reads it),
//   {"format": 1, "revision": R, "entries": {key: {value, revision}}, "tombstones": {key: revision}}
// We write it ourselves instead of through lowdb because lowdb's writer (steno) renames without
// fsync, so a crash could leave an empty or old file behind the name. Ours: temp file, written in
// chunks (the event loop keeps serving writes meanwhile), fsync, rename, fsync the directory.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAtomicTempOf, writeFileAtomic } from '../../lib/fs-atomic.js';
import { KrpcError } from '../../lib/errors.js';
import type { KvEntry } from './types.js';
import { isPlainObject } from '../../lib/json.js';

export const SNAPSHOT_FILE = 'snapshot.json';
export const SNAPSHOT_FORMAT = 1;
const ENTRIES_PER_CHUNK = 4096;

export interface KvSnapshotDoc {
  format: number;
  revision: number;
  entries: Record<string, KvEntry>;
  tombstones: Record<string, number>;
}

export interface KvState {
  revision: number;
  entries: Map<string, KvEntry>;
  /** Revisions of deleted keys, so a re-created key keeps counting. */
  tombstones: Map<string, number>;
}

export const isSnapshotTemp = (name: string) => isAtomicTempOf(name, SNAPSHOT_FILE);

/** Durably replaces the snapshot with `state`; returns the bytes written. */
export async function writeSnapshot(dir: string, state: KvState): Promise<number> {
  let bytes = 0;
  await writeFileAtomic(join(dir, SNAPSHOT_FILE), async (fh) => {
    const write = async (text: string) => {
      const buf = Buffer.from(text, 'utf8');
      await fh.write(buf, 0, buf.length);
      bytes += buf.length;
    };
    await write(`{"format":${SNAPSHOT_FORMAT},"revision":${state.revision},"entries":{`);
    await writeMembers(state.entries, (e) => JSON.stringify({ value: e.value, revision: e.revision }), write);
    await write('},"tombstones":{');
    await writeMembers(state.tombstones, (r) => String(r), write);
    await write('}}\n');
  }, { mode: 0o600 });
  return bytes;
}

async function writeMembers<V>(map: Map<string, V>, encode: (v: V) => string, write: (text: string) => Promise<void>): Promise<void> {
  let chunk: string[] = [];
  let first = true;
  for (const [key, value] of map) {
    chunk.push(`${first ? '' : ','}${JSON.stringify(key)}:${encode(value)}`);
    first = false;
    if (chunk.length >= ENTRIES_PER_CHUNK) {
      await write(chunk.join(''));
      chunk = [];
    }
  }
  if (chunk.length > 0) await write(chunk.join(''));
}

/** The snapshot in `dir`, or an empty state at revision 0 when there is none yet. */
export async function readSnapshot(dir: string): Promise<KvState & { bytes: number }> {
  const path = join(dir, SNAPSHOT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { revision: 0, entries: new Map(), tombstones: new Map(), bytes: 0 };
    throw e;
  }
  const corrupt = (why: string) => new KrpcError('INTEGRITY', `KV snapshot ${path} is unreadable (${why}); restore the kv folder from a backup`);
  let doc: KvSnapshotDoc;
  try {
    doc = JSON.parse(text) as KvSnapshotDoc;
  } catch {
    throw corrupt('not JSON');
  }
  if (!doc || typeof doc !== 'object') throw corrupt('not an object');
  if (doc.format !== SNAPSHOT_FORMAT) throw corrupt(`unknown format ${JSON.stringify(doc.format)}`);
  if (!isRevision(doc.revision)) throw corrupt('bad revision');
  if (!isPlainObject(doc.entries) || !isPlainObject(doc.tombstones)) throw corrupt('bad entries or tombstones');
  const entries = new Map<string, KvEntry>();
  for (const [key, e] of Object.entries(doc.entries)) {
    if (!e || typeof e.value !== 'string' || !isRevision(e.revision) || e.revision < 1) throw corrupt(`bad entry ${JSON.stringify(key)}`);
    entries.set(key, { value: e.value, revision: e.revision });
  }
  const tombstones = new Map<string, number>();
  for (const [key, r] of Object.entries(doc.tombstones)) {
    if (!isRevision(r) || r < 1 || entries.has(key)) throw corrupt(`bad tombstone ${JSON.stringify(key)}`);
    tombstones.set(key, r);
  }
  return { revision: doc.revision, entries, tombstones, bytes: Buffer.byteLength(text) };
}

const isRevision = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
