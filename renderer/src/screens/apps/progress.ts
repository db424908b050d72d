// How an app task reads to the owner: the pipeline's phase as a named step with bytes where they move,
// and an automatic rollback as one plain sentence.
import type { AppState, RollbackRecord, TaskView } from '../../../../kernel/api/app-manager';

/** The phases app-manager reports, in the order an install walks them; others are shown as "working". */
export const INSTALL_PHASES = ['preparing', 'scheduling', 'downloading', 'starting', 'health-check', 'done'] as const;
const KNOWN_PHASES = new Set<string>([...INSTALL_PHASES, 'waiting-for-node', 'switching', 'deploying', 'rolling-back', 'restoring', 'removing', 'failed']);

export const phaseKey = (phase: string) => `apps.phase.${KNOWN_PHASES.has(phase) ? phase : 'working'}`;

/** 0..1 along the install phases; downloading moves with its bytes. */
export function taskFraction(task: Pick<TaskView, 'phase' | 'bytes' | 'total' | 'done'>): number {
  if (task.done) return 1;
  const at = INSTALL_PHASES.indexOf(task.phase as (typeof INSTALL_PHASES)[number]);
  if (at < 0) return 0.5;
  const step = 1 / (INSTALL_PHASES.length - 1);
  const within = task.phase === 'downloading' && task.total > 0 ? Math.min(1, task.bytes / task.total) : 0;
  return Math.min(1, at * step + within * step);
}

export function formatBytes(n: number, lang = 'en'): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: u === 0 ? 0 : 1 }).format(v)} ${units[u]}`;
}

/** States in which app-manager is still working on the app. */
export const BUSY_STATES = new Set<AppState>(['installing', 'upgrading', 'rolling-back', 'uninstalling', 'starting']);

export interface Sentence { key: string; values: Record<string, string | number> }

/** "1.2.0 failed its health check; back on 1.1.0, your data restored." */
export function rollbackSentence(r: RollbackRecord): Sentence {
  const values = { from: r.from, to: r.to };
  if (!r.automatic) return { key: r.data_restored ? 'apps.rollback.manualRestored' : 'apps.rollback.manual', values };
  return { key: r.data_restored ? 'apps.rollback.automaticRestored' : 'apps.rollback.automatic', values };
}

/** Versions newer than `current`, newest first (semver-ish numeric compare). */
export function newerVersions(versions: string[], current: string): string[] {
  const parts = (v: string) => v.split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const cmp = (a: string, b: string) => {
    const x = parts(a);
    const y = parts(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const p = x[i] ?? 0;
      const q = y[i] ?? 0;
      if (p === q) continue;
      if (typeof p === 'number' && typeof q === 'number') return p - q;
      return String(p) < String(q) ? -1 : 1;
    }
    return 0;
  };
  return versions.filter((v) => cmp(v, current) > 0).sort((a, b) => cmp(b, a));
}

export interface VersionChoice {
  version: string;
  /** This zone went back from it by itself: it failed its health check here. */
  failedHere: boolean;
}

/**
 * What the update picker offers: newer versions, newest first, except that a version this app
 * already rolled back from by itself goes last, so it is never the one offered first.
 */
export function updateChoices(versions: string[], current: string, lastRollback?: RollbackRecord): VersionChoice[] {
  const failed = lastRollback?.automatic ? lastRollback.from : undefined;
  const newer = newerVersions(versions, current).map((version) => ({ version, failedHere: version === failed }));
  return [...newer.filter((c) => !c.failedHere), ...newer.filter((c) => c.failedHere)];
}
