// Whether the process that wrote a lock (or owns a staging dir, or a pid record) still runs.
//
// A bare pid is not enough: a holder killed with -9 whose parent does not reap it stays a zombie that
// `kill(pid, 0)` still reports as running, and after a reboot (or simply a long uptime) an unrelated
// process may get the same pid. So a holder is identified by a *stamp*: its pid, the kernel's start
// time of that pid (/proc/<pid>/stat field 22, clock ticks since boot) and the boot id
// (/proc/sys/kernel/random/boot_id). On Linux a stamped holder is alive only when the pid runs, is not
// a zombie, and started at the recorded tick of the recorded boot. A stamp without start/boot (a lock
// written by an older version, or on macOS/Windows where /proc is missing) falls back to the pid rule
// plus the zombie check where /proc can tell.
import { readFileSync } from 'node:fs';

/** Who holds something: pid plus, on Linux, what makes that pid unique over time. */
export interface HolderStamp {
  pid: number;
  /** /proc/<pid>/stat field 22 (start time in clock ticks since boot), as a decimal string */
  start?: string;
  /** /proc/sys/kernel/random/boot_id of the boot the holder ran in */
  boot?: string;
}

interface ProcStat {
  /** field 3: R, S, D, Z, T, X, … */
  state: string;
  /** field 22 */
  start: string;
}

/** Fields of /proc/<pid>/stat; 'gone' when there is no such process, undefined when /proc can't tell. */
export function readProcStat(pid: number): ProcStat | 'gone' | undefined {
  if (process.platform !== 'linux') return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
  // comm (field 2) may contain spaces and parentheses; the fields after the last ')' are fixed.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, start] = [rest[0], rest[19]];
  return state && start && /^\d+$/.test(start) ? { state, start } : undefined;
}

let bootIdCache: string | undefined | null = null;
/** This boot's id on Linux; undefined elsewhere. */
export function bootId(): string | undefined {
  if (bootIdCache === null) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      bootIdCache = undefined;
    }
  }
  return bootIdCache;
}

/** The stamp of this process, to write into a lock. */
export function ownStamp(): HolderStamp {
  const stat = readProcStat(process.pid);
  const boot = bootId();
  return typeof stat === 'object' && boot ? { pid: process.pid, start: stat.start, boot } : { pid: process.pid };
}

function killZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // a process of another user still runs
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process `stamp` describes still runs (see the file comment for the rules). */
export function isHolderAlive(stamp: HolderStamp): boolean {
  const { pid } = stamp;
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  // Written in another boot: whatever has this pid now is not the holder.
  if (stamp.boot !== undefined) {
    const boot = bootId();
    if (boot !== undefined && boot !== stamp.boot) return false;
  }
  const stat = readProcStat(pid);
  if (stat === 'gone') return false;
  if (stat === undefined) return killZero(pid); // no /proc (or hidden): the pid rule
  if (stat.state === 'Z' || stat.state === 'X') return false;
  if (stamp.start !== undefined && stamp.start !== stat.start) return false;
  return true;
}

/** True when `pid` runs and is not a zombie (the rule for records that carry only a pid). */
export const isProcessAlive = (pid: number): boolean => isHolderAlive({ pid });

/** A stamp read back from a lock; undefined unless it names a positive pid. */
export function parseStamp(value: unknown): HolderStamp | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, start, boot } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return {
    pid,
    ...(typeof start === 'string' && /^\d+$/.test(start) ? { start } : {}),
    ...(typeof boot === 'string' && boot ? { boot } : {}),
  };
}

/** "process 1234 (node)" — the pid and, where /proc tells, its command name, for error messages. */
export function describeProcess(pid: number): string {
  if (process.platform === 'linux') {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm) return `process ${pid} (${comm})`;
    } catch {
      // gone or hidden: the pid alone
    }
  }
  return `process ${pid}`;
}
