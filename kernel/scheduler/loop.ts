// The scheduler loop: dump → schedule() → one exec_tx holding the writes and the snapshot. It wakes on
// KV changes (debounced), at the next moment time alone changes the outcome (a report expiring, a node
// going silent), and on a slow safety pass. Passes never overlap; a failed pass is retried on the
// next wake and never stops the loop.
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { canonicalJson } from './canonical.js';
import { DEFAULT_GONE_AFTER_S, buildSchedulerInput } from './input.js';
import {
  BOOT_CONFIG_KEY, DUMP_PREFIXES, SCHEDULER_PREFIX, SCHEDULER_SNAPSHOT_KEY, nodeOfDeviceInfoKey, parseInstanceReportKey,
} from '../api/keys.js';
import { schedule } from './schedule.js';
import { DEFAULT_HISTORY_SIZE, parseSnapshot, snapshotWrites } from './snapshot-store.js';
import type { KvPort } from '../api/zone.js';
import type { ExecTxAction } from './types.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { watchForWake } from '../lib/wake-detector.js';

/** What the loop needs from system-config; SystemConfigClient is one. */
export type SchedulerKv = Pick<KvPort, 'dump' | 'execTx' | 'watchLoop'>;

export interface SchedulerOptions {
  kv: SchedulerKv;
  log: Logger;
  /** Quiet time after a KV change before a pass (default 50 ms): a burst of writes makes one pass. */
  debounceMs?: number;
  /** Longest time between passes (default 30 s; the watch wakes it on every change that matters). */
  safetyPassMs?: number;
  /** Snapshots kept in system/scheduler/history (default 20). */
  historySize?: number;
  /** Seconds without a devices/<n>/info update after which a node is gone (default 45). */
  goneAfterS?: number;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** Follow sys_config_watch (default true); without it only timed passes run. */
  watch?: boolean;
}

export interface SchedulerHandle {
  /** Runs one pass now (after any pass in progress) and tells how many keys it wrote. */
  runOnce(): Promise<{ writes: number }>;
  stop(): Promise<void>;
}

/** A failed pass, or a zone not booted yet, is looked at again this soon. */
const RETRY_MS = 5_000;
/** system-config caps one exec_tx at 1024 actions and ~2 MiB of body; stay below both. */
const TX_MAX_ACTIONS = 1000;
const TX_MAX_BYTES = 1536 * 1024;
/** Fields of device info and instance reports that move on every refresh; time is handled by deadlines. */
const VOLATILE = new Set(['update_time', 'last_update_time', 'observed_at', 'expires_at', 'mem_usage', 'cpu_usage', 'cpu_ratio', 'disk_usage']);

/**
 * Decides which watched changes deserve a pass. Heartbeats (a node or an instance re-reporting the
 * same facts with fresh timestamps) do not: every node-daemon rewrites them every few seconds, and
 * what their timestamps mean is a deadline the loop already keeps. A heartbeat that arrives after
 * the previous one had lapsed (a node back from silence) does deserve one.
 */
export class ChangeFilter {
  private readonly seen = new Map<string, { facts: string; lapsesAt: number }>();

  constructor(private readonly now: () => number, private readonly goneAfterS: number) {}

  wants(change: { key: string; value?: string | null }): boolean {
    const { key } = change;
    // Watch events that cannot change a pass: our own snapshot writes, and keys outside the dump.
    if (!DUMP_PREFIXES.some((p) => key.startsWith(p)) || key.startsWith(SCHEDULER_PREFIX)) return false;
    const isHeartbeat = nodeOfDeviceInfoKey(key) !== undefined || parseInstanceReportKey(key) !== undefined;
    const heartbeat = isHeartbeat && typeof change.value === 'string' ? this.read(key, change.value) : undefined;
    if (!heartbeat) {
      this.seen.delete(key);
      return true;
    }
    const before = this.seen.get(key);
    this.seen.set(key, heartbeat);
    return !before || before.facts !== heartbeat.facts || this.now() >= before.lapsesAt;
  }

  private read(key: string, text: string): { facts: string; lapsesAt: number } | undefined {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const r = v as Record<string, unknown>;
    const lapsesAt = nodeOfDeviceInfoKey(key) !== undefined
      ? (typeof r.update_time === 'number' ? r.update_time + this.goneAfterS : 0)
      : (typeof r.expires_at === 'number' ? r.expires_at : 0);
    return { facts: canonicalJson(Object.fromEntries(Object.entries(r).filter(([k]) => !VOLATILE.has(k)))), lapsesAt };
  }
}

/**
 * Splits a write set that is too big for one exec_tx, keeping the snapshot keys in the last part:
 * if a later part fails, the next pass recomputes from what did land (every write is idempotent).
 */
export function splitTx(writes: Record<string, ExecTxAction>): Array<Record<string, ExecTxAction>> {
  const parts: Array<Record<string, ExecTxAction>> = [];
  let part: Record<string, ExecTxAction> = {};
  let count = 0;
  let bytes = 0;
  const keys = Object.keys(writes).sort((a, b) => Number(a.startsWith(SCHEDULER_PREFIX)) - Number(b.startsWith(SCHEDULER_PREFIX)) || (a < b ? -1 : a > b ? 1 : 0));
  for (const key of keys) {
    const size = key.length + JSON.stringify(writes[key]).length;
    if (count > 0 && (count >= TX_MAX_ACTIONS || bytes + size > TX_MAX_BYTES)) {
      parts.push(part);
      part = {};
      count = 0;
      bytes = 0;
    }
    part[key] = writes[key];
    count += 1;
    bytes += size;
  }
  if (count > 0) parts.push(part);
  return parts;
}

/** The loop alone (no kRPC face): kernel/scheduler/service.ts startScheduler runs it with its face. */
export function startSchedulingLoop(opts: SchedulerOptions): SchedulerHandle {
  const { kv, log } = opts;
  const debounceMs = opts.debounceMs ?? 50;
  const safetyPassMs = opts.safetyPassMs ?? 30_000;
  const retryMs = Math.min(safetyPassMs, RETRY_MS);
  const historySize = opts.historySize ?? DEFAULT_HISTORY_SIZE;
  const goneAfterS = opts.goneAfterS ?? DEFAULT_GONE_AFTER_S;
  const clock = opts.now ?? systemClock;
  const now = () => clock() / 1000;

  // Heartbeats could not be heard before the loop started or while the machine slept: no node counts as
  // silent for longer than since then, so a wake does not move every app because every heartbeat looks old.
  let listeningSince = now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Infinity;
  let chain: Promise<unknown> = Promise.resolve();

  const pass = async (): Promise<{ writes: number; wakeInMs: number }> => {
    const dump = await kv.dump();
    if (!Object.hasOwn(dump, BOOT_CONFIG_KEY)) {
      log.debug('zone not booted yet; nothing to schedule');
      return { writes: 0, wakeInMs: retryMs };
    }
    const at = now();
    const result = schedule(buildSchedulerInput(dump, { goneAfterS, listeningSince }), parseSnapshot(dump[SCHEDULER_SNAPSHOT_KEY]), at);
    const wakeInMs = result.nextDeadline === undefined ? safetyPassMs : Math.min(safetyPassMs, Math.max(0, (result.nextDeadline - at) * 1000) + 20);
    if (!result.changed) return { writes: 0, wakeInMs };
    const tx = { ...result.writes, ...snapshotWrites(result.snapshot, dump, historySize) };
    const parts = splitTx(tx);
    if (parts.length > 1) log.warn('scheduler write set is larger than one transaction; writing it in parts', { parts: parts.length, keys: Object.keys(tx).length });
    for (const part of parts) await kv.execTx(part);
    const writes = Object.keys(tx).length;
    log.info('scheduler pass applied', {
      rev: result.snapshot.rev, writes, actions: result.actions.length,
      why: [...new Set(result.actions.map((a) => a.reason.code))].slice(0, 8),
    });
    return { writes, wakeInMs };
  };

  const arm = (delayMs: number) => {
    if (stopped) return;
    // Monotonic, so a wall-clock jump neither strands nor hurries a pass.
    const due = performance.now() + delayMs;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDue = Infinity;
      void runOnce().catch(() => {});
    }, delayMs);
    timer.unref();
  };

  const runOnce = (): Promise<{ writes: number }> => {
    const run = chain.then(async () => {
      if (stopped) return { writes: 0 };
      try {
        const { writes, wakeInMs } = await pass();
        arm(wakeInMs);
        return { writes };
      } catch (e) {
        log.warn('scheduler pass failed; retrying on the next wake', { err: describeError(e) });
        arm(retryMs);
        throw e;
      }
    });
    chain = run.catch(() => {});
    return run;
  };

  const changes = new ChangeFilter(now, goneAfterS);
  const watcher = opts.watch === false ? undefined : kv.watchLoop('', (event) => {
    // Every change goes through the filter (no short-circuit), so it remembers the latest facts.
    const wanted = event.changes.filter((c) => changes.wants(c)).length > 0;
    if (event.resync || wanted) arm(debounceMs);
  }, { onError: (e) => log.debug('watch failed; falling back to timed passes', { err: describeError(e) }) });
  const wake = watchForWake((e) => {
    listeningSince = now();
    log.info('lost time (sleep, a stopped process or a clock change); nodes get a fresh grace period before any counts as gone', { wall_jump_ms: Math.round(e.wallJumpMs), late_ms: Math.round(e.lateMs), grace_s: goneAfterS });
    arm(debounceMs);
  }, { clock });
  arm(0);

  return {
    runOnce,
    async stop() {
      stopped = true;
      wake.stop();
      if (timer) clearTimeout(timer);
      timer = undefined;
      await watcher?.stop();
      await chain;
    },
  };
}
