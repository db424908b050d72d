// Notices that this process lost time: the machine slept (the wall clock moved on while the monotonic
// clock stood still), the process was stopped (a timer fired far too late), or the wall clock was set
// (wall and monotonic time disagree). What heard nothing during that time must not conclude from the
// silence that others are gone: the scheduler starts its "node gone" grace again.
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

export interface WakeEvent {
  /** How far the wall clock moved during one tick, beyond the tick itself (negative: set back). */
  wallJumpMs: number;
  /** How late the tick fired by the monotonic clock (the process did not run). */
  lateMs: number;
}

export interface WakeDetectorOptions {
  tickMs?: number;
  /** A gap or jump smaller than this is scheduling noise (default 5 s). */
  thresholdMs?: number;
  clock?: Clock;
  monotonic?: () => number;
}

export function watchForWake(onWake: (e: WakeEvent) => void, opts: WakeDetectorOptions = {}): { stop(): void } {
  const tickMs = opts.tickMs ?? 1000;
  const threshold = opts.thresholdMs ?? 5000;
  const wall = opts.clock ?? systemClock;
  const mono = opts.monotonic ?? (() => performance.now());
  let lastWall = wall();
  let lastMono = mono();
  const timer = setInterval(() => {
    const w = wall();
    const m = mono();
    const monoGap = m - lastMono;
    const e = { wallJumpMs: w - lastWall - monoGap, lateMs: monoGap - tickMs };
    lastWall = w;
    lastMono = m;
    if (Math.abs(e.wallJumpMs) >= threshold || e.lateMs >= threshold) onWake(e);
  }, tickMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
