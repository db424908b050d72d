// The slice of system-config the node-daemon needs: read its node config, write reports and device
// info, and wait for changes. Anything with these four methods works (the system-config client, or
// the kRPC adapter below).
import { KrpcError, isKrpcError } from '../lib/errors.js';
import type { KrpcClient } from '../lib/krpc/client.js';

export interface KvValue {
  value: string;
  version: number;
}

export interface KvWatchChange {
  key: string;
  value: string | null;
  version: number;
}

export type KvWatchResult =
  | { revision: number; changes: KvWatchChange[] }
  | { revision: number; compacted: true };

export interface NodeKv {
  get(key: string): Promise<KvValue | null>;
  set(key: string, value: string): Promise<void>;
  /** Deleting a key that does not exist is not an error. */
  delete(key: string): Promise<void>;
  /** Long-poll: changes under `key` after global `revision`, or an empty list after `timeoutMs`. */
  watch(key: string, revision: number, timeoutMs: number): Promise<KvWatchResult>;
}

/** NodeKv over system-config's kRPC methods. */
export function krpcNodeKv(client: KrpcClient): NodeKv {
  return {
    get: (key) => client.call<KvValue | null>('sys_config_get', { key }),
    async set(key, value) {
      await client.call('sys_config_set', { key, value });
    },
    async delete(key) {
      try {
        await client.call('sys_config_delete', { key });
      } catch (e) {
        if (!isKrpcError(e, 'NOT_FOUND')) throw e;
      }
    },
    async watch(key, revision, timeoutMs) {
      const r = await client.call<KvWatchResult>('sys_config_watch', { key, revision, timeout_ms: timeoutMs });
      if (!r || typeof r.revision !== 'number') throw new KrpcError('INTERNAL', 'sys_config_watch answered without a revision');
      return r;
    },
  };
}
