// The "Where apps run" screen's state: one snapshot (the latest, or a kept one chosen on the time
// slider), its app × node matrix, the open "why not?" answer and a diff between two snapshots. Every
// answer comes from the scheduler's own kRPC methods; nothing is decided here.
import { create } from 'zustand';
import type { PlacementMatrix, SnapshotDiff, SnapshotJson, WhyNot } from '../../../../kernel/api/scheduler';
import { useSession } from '../../stores/session';

export interface SchedulerState {
  loading: boolean;
  error?: unknown;
  snapshot?: SnapshotJson;
  /** Every kept revision, oldest first (from the latest snapshot). */
  revisions: number[];
  latest?: number;
  matrix?: PlacementMatrix;
  whyNot?: WhyNot;
  whyNotError?: unknown;
  diff?: SnapshotDiff;
  diffError?: unknown;
  load(): Promise<void>;
  showRev(rev: number | undefined): Promise<void>;
  askWhyNot(specId: string, node: string): Promise<void>;
  closeWhyNot(): void;
  compare(from: number, to: number): Promise<void>;
}

const call = () => useSession.getState().call;

export const useScheduler = create<SchedulerState>()((set, get) => ({
  loading: false,
  revisions: [],

  async load() {
    set({ loading: true, error: undefined });
    try {
      const snapshot = await call()('scheduler', 'get_snapshot', {});
      const matrix = await call()('scheduler', 'matrix', {});
      set({ snapshot, matrix, revisions: snapshot.kept_revisions ?? [snapshot.rev], latest: snapshot.rev, loading: false, whyNot: undefined });
    } catch (error) {
      set({ error, loading: false });
    }
  },

  async showRev(rev) {
    if (rev === undefined || rev === get().latest) return get().load();
    set({ loading: true, error: undefined });
    try {
      const snapshot = await call()('scheduler', 'get_snapshot', { rev });
      const matrix = await call()('scheduler', 'matrix', { rev });
      set({ snapshot, matrix, loading: false, whyNot: undefined });
    } catch (error) {
      set({ error, loading: false });
    }
  },

  async askWhyNot(specId, node) {
    set({ whyNotError: undefined });
    try {
      const rev = get().snapshot?.rev;
      const whyNot = await call()('scheduler', 'why_not', { spec_id: specId, node, ...(rev !== undefined && rev !== get().latest && { rev }) });
      set({ whyNot });
    } catch (whyNotError) {
      set({ whyNotError, whyNot: undefined });
    }
  },

  closeWhyNot: () => set({ whyNot: undefined, whyNotError: undefined }),

  async compare(from, to) {
    set({ diffError: undefined });
    try {
      set({ diff: await call()('scheduler', 'diff', { from, to }) });
    } catch (diffError) {
      set({ diffError, diff: undefined });
    }
  },
}));
