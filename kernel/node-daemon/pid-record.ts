// Pid files that let a restarted node-daemon recognise the processes IT started, and only those.
// A record is trusted only when the live process still matches it: on Linux the kernel's start time
// (/proc/<pid>/stat field 22) of this boot (boot id) and, when readable, the per-launch marker in /proc/<pid>/environ;
// elsewhere the start time `ps` reports. Without a way to check, a process is never treated as ours.
import { readFile, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import { bootId, isHolderAlive, isProcessAlive, readProcStat } from '../lib/process-alive.js';

export const PID_FILE = 'pid.json';
export const MARKER_ENV = 'BUCKYOS_INSTANCE_MARKER';

export interface PidRecord {
  instance_id: string;
  pid: number;
  /** random per launch, also in the process's env as BUCKYOS_INSTANCE_MARKER */
  marker: string;
  /** Linux: starttime in clock ticks since boot (from /proc/<pid>/stat) */
  proc_start_ticks?: string;
  /** Linux: /proc/sys/kernel/random/boot_id when it was written (records without one: start ticks + marker decide) */
  boot_id?: string;
  /** wall clock ms when the daemon spawned it */
  started_at: number;
}

export async function procStartTicks(pid: number): Promise<string | undefined> {
  const stat = readProcStat(pid);
  return typeof stat === 'object' ? stat.start : undefined;
}

export { bootId };

async function environHasMarker(pid: number, marker: string): Promise<boolean | undefined> {
  try {
    const env = await readFile(`/proc/${pid}/environ`, 'utf8');
    return env.split('\0').includes(`${MARKER_ENV}=${marker}`);
  } catch {
    return undefined;
  }
}

function psStartTime(pid: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'lstart=', '-p', String(pid)], { timeout: 2000, env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' } }, (err, out) => {
      const t = err ? NaN : Date.parse(`${out.trim()} UTC`);
      resolve(Number.isFinite(t) ? t : undefined);
    });
  });
}

/** Alive and not a zombie (an orphan's zombie lingers where nothing reaps it, e.g. in containers). */
export async function isRunning(pid: number): Promise<boolean> {
  return isProcessAlive(pid);
}

/** True only if `record.pid` is alive and provably the process this record was written for. */
export async function isOwnProcess(record: PidRecord): Promise<boolean> {
  if (!Number.isInteger(record.pid) || record.pid <= 1) return false;
  if (!isHolderAlive({ pid: record.pid, ...(typeof record.boot_id === 'string' ? { boot: record.boot_id } : {}) })) return false;
  if (process.platform === 'linux') {
    if (!record.proc_start_ticks || (await procStartTicks(record.pid)) !== record.proc_start_ticks) return false;
    return (await environHasMarker(record.pid, record.marker)) !== false;
  }
  if (process.platform === 'win32') return false;
  const started = await psStartTime(record.pid);
  return started !== undefined && Math.abs(started - record.started_at) < 2000;
}

export const writePidRecord = (runDir: string, record: PidRecord) =>
  writeFileAtomic(join(runDir, PID_FILE), JSON.stringify(record) + '\n', 0o600);

export const removePidRecord = (runDir: string) => rm(join(runDir, PID_FILE), { force: true });

/** Every pid record under <run>/<instance>/pid.json (unreadable ones are returned as undefined). */
export async function listPidRecords(runRoot: string): Promise<{ runDir: string; record: PidRecord | undefined }[]> {
  let names: string[];
  try {
    names = await readdir(runRoot);
  } catch {
    return [];
  }
  const out: { runDir: string; record: PidRecord | undefined }[] = [];
  for (const name of names) {
    const runDir = join(runRoot, name);
    let text: string;
    try {
      text = await readFile(join(runDir, PID_FILE), 'utf8');
    } catch {
      continue;
    }
    try {
      out.push({ runDir, record: JSON.parse(text) as PidRecord });
    } catch {
      out.push({ runDir, record: undefined });
    }
  }
  return out;
}
