// system-config's kRPC methods (spec 10 §3, plus sys_config_watch and exec_tx conditions).
import type { NoParams } from './krpc.js';
import type { KvTxAction, KvValue, RevisionCondition } from './zone.js';

export const MAX_WATCH_TIMEOUT_MS = 30_000;
/** Long-poll length when a watch names none. */
export const DEFAULT_WATCH_TIMEOUT_MS = 25_000;

export interface WatchChange {
  key: string;
  /** null when the key was deleted */
  value: string | null;
  /** the key's revision after the change */
  version: number;
}

export type WatchResult = { revision: number; changes: WatchChange[] } | { revision: number; compacted: true };

/** One delivery of SystemConfigClient.watchLoop. */
export interface WatchEvent {
  /** Global revision the consumer is now in step with. */
  revision: number;
  changes: WatchChange[];
  /** The consumer must re-read everything under the prefix: first event, lost history, or a poll after an error. */
  resync: boolean;
}

export interface WatchLoopOptions {
  /** Start after this global revision; without it the first event is a resync. */
  revision?: number;
  /** Long-poll length per call (default 25 s, at most 30 s). */
  timeoutMs?: number;
  /** After a failed watch call, wait this long and emit a resync (a poll) before watching again (default 5 s). */
  pollIntervalMs?: number;
  onError?: (e: unknown) => void;
}

export interface WatchLoop {
  stop(): Promise<void>;
}

export interface KeyParams { key: string }
export interface KeyValueParams { key: string; value: string }
export interface AppendParams { key: string; append_value: string }
export interface SetByJsonPathParams { key: string; json_path: string; value: string }
export interface ExecTxParams { actions: Record<string, KvTxAction>; main_key?: RevisionCondition | null; conditions?: RevisionCondition[] }
export interface WatchParams { key: string; revision: number; timeout_ms?: number }

export interface SystemConfigMethods {
  sys_config_get: { params: KeyParams; result: KvValue | null };
  sys_config_set: { params: KeyValueParams; result: null };
  sys_config_create: { params: KeyValueParams; result: null };
  sys_config_delete: { params: KeyParams; result: null };
  sys_config_append: { params: AppendParams; result: null };
  /** `value` is JSON text; `null` removes the member. */
  sys_config_set_by_json_path: { params: SetByJsonPathParams; result: null };
  /** Direct child names below `key`. */
  sys_config_list: { params: KeyParams; result: string[] };
  sys_config_exec_tx: { params: ExecTxParams; result: null };
  /** key → value of every key under DUMP_PREFIXES (scheduler and node-daemon only). */
  dump_configs_for_scheduler: { params: NoParams; result: Record<string, string> };
  sys_refresh_trust_keys: { params: NoParams; result: null };
  sys_config_watch: { params: WatchParams; result: WatchResult };
}
