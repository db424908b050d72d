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
/** Which load is the latest asked for (the time slider can ask for several before any answers). */
let shown = 0;

export const useScheduler = create<SchedulerState>()((set, get) => ({
  loading: false,
  revisions: [],

  async load() {
    const seq = ++shown;
    set({ loading: true, error: undefined });
    try {
      // Both answers at once: the table need not wait a round trip behind the snapshot.
      const [snapshot, matrix] = await Promise.all([call()('scheduler', 'get_snapshot', {}), call()('scheduler', 'matrix', {})]);
      if (seq !== shown) return;
      set({ snapshot, matrix, revisions: snapshot.kept_revisions ?? [snapshot.rev], latest: snapshot.rev, loading: false, whyNot: undefined });
    } catch (error) {
      if (seq === shown) set({ error, loading: false });
    }
  },

  async showRev(rev) {
    if (rev === undefined || rev === get().latest) return get().load();
    // Dragging the slider asks for many moments; only the last one asked for is shown.
    const seq = ++shown;
    set({ loading: true, error: undefined });
    try {
      const [snapshot, matrix] = await Promise.all([call()('scheduler', 'get_snapshot', { rev }), call()('scheduler', 'matrix', { rev })]);
      if (seq !== shown) return;
      set({ snapshot, matrix, loading: false, whyNot: undefined });
    } catch (error) {
      if (seq === shown) set({ error, loading: false });
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
