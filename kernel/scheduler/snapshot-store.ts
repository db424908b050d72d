// Where snapshots live in KV: system/scheduler/snapshot (the latest) and a ring of the last N at
// system/scheduler/history/<rev>, so the UI can show a timeline and diffs. Pure helpers.
import { canonicalJson } from './canonical.js';
import { SCHEDULER_HISTORY_PREFIX, SCHEDULER_SNAPSHOT_KEY, schedulerHistoryKey } from '../api/keys.js';
import type { ExecTxAction, SchedulerSnapshot } from './types.js';

export const SNAPSHOT_FORMAT = 'buckyos.scheduler.snapshot.v1';
export const DEFAULT_HISTORY_SIZE = 20;

/** The stored snapshot, or undefined when it is absent or not one we understand (then the pass starts fresh). */
export function parseSnapshot(text: string | undefined): SchedulerSnapshot | undefined {
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as SchedulerSnapshot;
    const ok = s && s.format === SNAPSHOT_FORMAT && Number.isInteger(s.rev) && typeof s.placements === 'object' && s.placements !== null
      && typeof s.nodes === 'object' && s.nodes !== null && Array.isArray(s.actions);
    if (!ok) return undefined;
    return typeof s.actions_total === 'number' ? s : { ...s, actions_total: s.actions.length };
  } catch {
    return undefined;
  }
}

/** History revisions present in a dump, oldest first. */
export function historyRevs(dump: Record<string, string>): number[] {
  const revs: number[] = [];
  for (const key of Object.keys(dump)) {
    if (!key.startsWith(SCHEDULER_HISTORY_PREFIX)) continue;
    const rev = Number(key.slice(SCHEDULER_HISTORY_PREFIX.length));
    if (Number.isInteger(rev) && rev >= 0) revs.push(rev);
  }
  return revs.sort((a, b) => a - b);
}

/** The writes that store `snapshot` as the latest and in the ring, dropping ring entries older than `size`. */
export function snapshotWrites(snapshot: SchedulerSnapshot, dump: Record<string, string>, size = DEFAULT_HISTORY_SIZE): Record<string, ExecTxAction> {
  const text = canonicalJson(snapshot);
  const writes: Record<string, ExecTxAction> = {
    [SCHEDULER_SNAPSHOT_KEY]: { action: 'update', value: text },
    [schedulerHistoryKey(snapshot.rev)]: { action: 'update', value: text },
  };
  for (const rev of historyRevs(dump)) if (rev <= snapshot.rev - size || rev > snapshot.rev) writes[schedulerHistoryKey(rev)] = { action: 'remove' };
  return writes;
}
