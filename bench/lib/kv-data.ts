// The data set of bench/kv.ts: keys bench/k/<i> with values of a fixed size.
import type { KvStore } from '../../kernel/system-config/store/types.js';

export const benchKey = (i: number) => `bench/k/${i}`;
export const benchValue = (seq: number, bytes: number) => `v${seq}:`.padEnd(bytes, 'x');

/** Writes `keys` keys in transactions of 1000 puts. */
export async function preload(store: KvStore, keys: number, valueBytes: number): Promise<void> {
  const batches: Promise<number>[] = [];
  for (let start = 0; start < keys; start += 1000) {
    const end = Math.min(keys, start + 1000);
    batches.push(store.transact(() => Array.from({ length: end - start }, (_, j) => ({ key: benchKey(start + j), value: benchValue(0, valueBytes) }))));
  }
  await Promise.all(batches);
}
