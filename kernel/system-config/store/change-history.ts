// The recent changes a watcher can catch up from (changesSince). Bounded by a number of changes;
// whole transactions are dropped from the old end, so a watcher never sees half a transaction.
import type { KvChange } from './types.js';

export const HISTORY_LIMIT = 10_000;

interface TxnChanges {
  globalRevision: number;
  changes: KvChange[];
}

export class ChangeHistory {
  private txns: TxnChanges[] = [];
  private head = 0;
  private size = 0;

  constructor(private readonly limit = HISTORY_LIMIT) {}

  add(globalRevision: number, changes: KvChange[]): void {
    this.txns.push({ globalRevision, changes });
    this.size += changes.length;
    while (this.size > this.limit && this.txns.length - this.head > 1) {
      this.size -= this.txns[this.head].changes.length;
      this.head++;
    }
    // Drop the consumed front in one go once it dominates, so trimming stays O(1) amortized.
    if (this.head > 1024 && this.head * 2 > this.txns.length) {
      this.txns = this.txns.slice(this.head);
      this.head = 0;
    }
  }

  /** Changes after `revision` given the store is at `current`; 'compacted' if they are no longer kept. */
  since(revision: number, current: number): KvChange[] | 'compacted' {
    if (revision >= current) return [];
    const oldest = this.head < this.txns.length ? this.txns[this.head].globalRevision : current + 1;
    if (revision + 1 < oldest) return 'compacted';
    let lo = this.head;
    let hi = this.txns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.txns[mid].globalRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    const out: KvChange[] = [];
    for (let i = lo; i < this.txns.length; i++) out.push(...this.txns[i].changes);
    return out;
  }
}
