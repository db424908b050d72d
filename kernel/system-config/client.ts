// Typed client of system-config (spec 10 §3) over kRPC, plus watchLoop: the change feed the
// scheduler, node-daemon and gateway follow instead of polling.
import { ServiceClient, type TokenSource } from '../lib/krpc/client.js';
import type { SystemConfigMethods, WatchEvent, WatchLoop, WatchLoopOptions } from '../api/system-config.js';
import type { TxAction, RevisionCondition } from './tx.js';
import type { WatchChange, WatchResult } from './watch.js';
import { DEFAULT_WATCH_TIMEOUT_MS, MAX_WATCH_TIMEOUT_MS } from './schema.js';
import type { KvPort, KvValue } from '../api/zone.js';
export type { KvValue, WatchEvent, WatchLoop, WatchLoopOptions };

export type { TxAction, RevisionCondition, WatchChange, WatchResult };

// The HTTP call must outlive the server-side long-poll.
const WATCH_CALL_MARGIN_MS = 10_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export class SystemConfigClient implements KvPort {
  readonly krpc: ServiceClient<SystemConfigMethods>;

  constructor(url: string, token?: TokenSource, opts: { timeoutMs?: number } = {}) {
    this.krpc = new ServiceClient<SystemConfigMethods>(url, { token, timeoutMs: opts.timeoutMs });
  }

  /** The value and revision of `key`, or null when it does not exist. */
  get(key: string): Promise<KvValue | null> {
    return this.krpc.call('sys_config_get', { key });
  }

  async set(key: string, value: string): Promise<void> {
    await this.krpc.call('sys_config_set', { key, value });
  }

  /** Fails with ALREADY_EXISTS when the key exists. */
  async create(key: string, value: string): Promise<void> {
    await this.krpc.call('sys_config_create', { key, value });
  }

  /** Fails with NOT_FOUND when the key does not exist. */
  async delete(key: string): Promise<void> {
    await this.krpc.call('sys_config_delete', { key });
  }

  /** String concatenation onto an existing value (NOT_FOUND otherwise). */
  async append(key: string, appendValue: string): Promise<void> {
    await this.krpc.call('sys_config_append', { key, append_value: appendValue });
  }

  /** Direct child names below `key` (not full keys). */
  list(key: string): Promise<string[]> {
    return this.krpc.call('sys_config_list', { key });
  }

  /** Sets (or, with null, removes) one member of the JSON object at `key`; `value` is sent as JSON. */
  async setByJsonPath(key: string, jsonPath: string, value: unknown): Promise<void> {
    await this.krpc.call('sys_config_set_by_json_path', { key, json_path: jsonPath, value: JSON.stringify(value) });
  }

  /**
   * All-or-nothing. With mainKey (spec 10) or conditions (ours), fails with VERSION_CONFLICT when one
   * of those keys is not at the given revision; mainKey is bumped even without an action.
   */
  async execTx(actions: Record<string, TxAction>, mainKey?: RevisionCondition, conditions?: RevisionCondition[]): Promise<void> {
    await this.krpc.call('sys_config_exec_tx', { actions, ...(mainKey ? { main_key: mainKey } : {}), ...(conditions?.length ? { conditions } : {}) });
  }

  /** Every key the scheduler reads (scheduler and node-daemon tokens only). */
  dump(): Promise<Record<string, string>> {
    return this.krpc.call('dump_configs_for_scheduler', {});
  }

  /** Long-poll: readable changes under `key` after global `revision`, or none after `timeoutMs`. */
  watch(key: string, revision: number, timeoutMs = DEFAULT_WATCH_TIMEOUT_MS, signal?: AbortSignal): Promise<WatchResult> {
    const timeout = Math.min(Math.max(0, Math.floor(timeoutMs)), MAX_WATCH_TIMEOUT_MS);
    return this.krpc.call('sys_config_watch', { key, revision, timeout_ms: timeout }, { timeoutMs: timeout + WATCH_CALL_MARGIN_MS, signal });
  }

  async refreshTrustKeys(): Promise<void> {
    await this.krpc.call('sys_refresh_trust_keys', {});
  }

  /**
   * Follows changes under `prefix` until stopped, calling `onChange` for each batch (one call at a
   * time, in order). When watching fails (system-config restarting, an old server without watch) it
   * falls back to polling: every pollIntervalMs it emits a resync, so the consumer re-reads.
   */
  watchLoop(prefix: string, onChange: (event: WatchEvent) => void | Promise<void>, opts: WatchLoopOptions = {}): WatchLoop {
    const stopping = new AbortController();
    const pollMs = opts.pollIntervalMs ?? 5_000;
    const report = opts.onError ?? (() => {});
    const deliver = async (event: WatchEvent) => {
      try {
        await onChange(event);
      } catch (e) {
        report(e);
      }
    };

    const run = async () => {
      let revision = opts.revision;
      while (!stopping.signal.aborted) {
        try {
          if (revision === undefined) {
            // A revision from the future always answers at once with the current one.
            const now = await this.watch(prefix, Number.MAX_SAFE_INTEGER, 0, stopping.signal);
            revision = now.revision;
            await deliver({ revision, changes: [], resync: true });
            continue;
          }
          const r = await this.watch(prefix, revision, opts.timeoutMs ?? DEFAULT_WATCH_TIMEOUT_MS, stopping.signal);
          if (stopping.signal.aborted) break;
          if ('compacted' in r) {
            revision = r.revision;
            await deliver({ revision, changes: [], resync: true });
          } else {
            revision = r.revision;
            if (r.changes.length > 0) await deliver({ revision, changes: r.changes, resync: false });
          }
        } catch (e) {
          if (stopping.signal.aborted) break;
          report(e);
          await sleep(pollMs, stopping.signal);
          if (stopping.signal.aborted) break;
          // Without a working watch we cannot know what changed: poll by asking for a re-read.
          await deliver({ revision: revision ?? 0, changes: [], resync: true });
        }
      }
    };
    const done = run();
    return {
      async stop() {
        stopping.abort();
        await done;
      },
    };
  }
}
