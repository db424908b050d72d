// Calls onChange whenever one KV key changes: long-polls system-config's watch and, where the server
// has no watch method, polls the key's version instead.
import { setTimeout as sleep } from 'node:timers/promises';
import { isKrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { NodeKv } from './kv.js';

export interface KeyWatchOptions {
  kv: NodeKv;
  key: string;
  onChange: () => void;
  log: Logger;
  watchTimeoutMs: number;
  pollIntervalMs: number;
}

export function watchKey(o: KeyWatchOptions): { stop(): void } {
  const abort = new AbortController();
  const pause = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => {});

  const watchLoop = async (): Promise<'unsupported' | 'stopped'> => {
    let revision = 0;
    let failures = 0;
    while (!abort.signal.aborted) {
      try {
        const r = await o.kv.watch(o.key, revision, o.watchTimeoutMs);
        failures = 0;
        if (abort.signal.aborted) break;
        if ('compacted' in r || r.changes.some((c) => c.key === o.key)) o.onChange();
        revision = r.revision;
      } catch (e) {
        if (isKrpcError(e, 'UNKNOWN_METHOD')) return 'unsupported';
        failures++;
        if (failures === 1) o.log.warn('watching the node config failed; retrying', { err: (e as Error).message });
        await pause(Math.min(5000, 250 * 2 ** failures));
      }
    }
    return 'stopped';
  };

  const pollLoop = async () => {
    let lastVersion: number | undefined;
    while (!abort.signal.aborted) {
      try {
        const version = (await o.kv.get(o.key))?.version ?? 0;
        if (lastVersion !== undefined && version !== lastVersion && !abort.signal.aborted) o.onChange();
        lastVersion = version;
      } catch {
        // system-config unreachable: the next poll tries again
      }
      await pause(o.pollIntervalMs);
    }
  };

  void watchLoop().then((end) => {
    if (end !== 'unsupported') return;
    o.log.info('system-config has no watch; polling the node config', { every_ms: o.pollIntervalMs });
    return pollLoop();
  });
  return { stop: () => abort.abort() };
}
