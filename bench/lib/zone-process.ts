// Shared by the zone-level benches (converge, cold-start, idle-cpu): app specs for the echo-app
// fixture, HTTP polling, percentiles, and per-process CPU and memory from /proc (Linux).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pollUntil, repoRoot } from '../../kernel/testing/harness.js';

export const FIXTURE_PKGS = join(repoRoot, 'kernel/node-daemon/fixtures');
export const USER = 'alice';
/** Linux USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS_PER_S = 100;

export function echoAppSpec(app: string, appIndex: number): string {
  return JSON.stringify({
    installation_id: app, user_id: USER, app_class: 'UserInstalled', app_index: appIndex,
    app_doc: { name: app, version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
    enable: true, expected_instance_count: 1, state: 'new',
    spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
  });
}

/** Polls `url` every `everyMs` until it answers `status`; returns when it did (ms since epoch). */
export const waitForStatus = (url: string, status: number, timeoutMs = 30_000, everyMs = 5): Promise<number> =>
  pollUntil(`${url} to answer ${status}`, async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === status ? Date.now() : undefined;
  }, { timeoutMs, everyMs });

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const summary = (ms: number[]) =>
  `p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, min ${Math.min(...ms).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms (n=${ms.length})`;

/** utime + stime of a process, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0, so utime (14) and stime (15) are 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** utime + stime of every thread of a process, in seconds, by thread id (the main thread's id is the pid). */
export async function threadCpuSeconds(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), await cpuSeconds(Number(tid)));
    } catch { /* the thread ended */ }
  }
  return out;
}

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}
