// devices/<node>/info (spec 40 §4): the device document plus what this machine has right now. Memory
// use is rounded to 64 MiB so the scheduler, which reads this key, does not see a change every write.
import os from 'node:os';
import { statfs } from 'node:fs/promises';
import { platformSlot } from './node-config.js';

const MEM_STEP = 64 * 1024 * 1024;
/** Disk use is rounded the same way, coarser: a busy app writing logs must not rewrite the key each time. */
const DISK_STEP = 256 * 1024 * 1024;

/** Size and free space of the file system holding `dir` (the node's data folder), if it can be read. */
export async function sampleDisk(dir: string): Promise<{ total: number; free: number } | undefined> {
  try {
    const s = await statfs(dir);
    return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

export interface HostSample {
  arch: string;
  platform: NodeJS.Platform;
  hostname: string;
  release: string;
  cpus: { model: string; speed: number }[];
  totalMem: number;
  freeMem: number;
  interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** The data folder's file system (sampleDisk); absent when it could not be read. */
  disk?: { total: number; free: number };
}

export function sampleHost(): HostSample {
  return {
    arch: process.arch,
    platform: process.platform,
    hostname: os.hostname(),
    release: `${os.type()} ${os.release()}`,
    cpus: os.cpus(),
    totalMem: os.totalmem(),
    freeMem: os.freemem(),
    interfaces: os.networkInterfaces(),
  };
}

export interface DeviceInfo extends Record<string, unknown> {
  arch: string;
  os: string;
  sys_hostname: string;
  base_os_info: string;
  all_ip: string[];
  cpu_info: string;
  cpu_num: number;
  cpu_mhz: number;
  total_mem: number;
  mem_usage: number;
  /** Bytes of the file system holding the node's data folder, and how many are used (rounded); upstream's names. */
  total_space?: number;
  disk_usage?: number;
  support_container: boolean;
  update_time: number;
  state: string;
  /** ours: this node-daemon run; the scheduler keeps reports of the same session alive with this heartbeat */
  node_session_id?: string;
}

/** Non-internal addresses, plus `extraIps` (e.g. the loopback address a test node is bound to). */
export function allIps(interfaces: HostSample['interfaces'], extraIps: string[] = []): string[] {
  const ips = new Set<string>();
  for (const list of Object.values(interfaces)) for (const a of list ?? []) if (!a.internal) ips.add(a.address);
  for (const ip of extraIps) ips.add(ip);
  return [...ips];
}

export function buildDeviceInfo(input: {
  deviceDoc: Record<string, unknown>;
  host: HostSample;
  containerEngineFound: boolean;
  nowSeconds: number;
  /** the node_session_id of the reports this node-daemon writes */
  sessionId?: string;
  extraIps?: string[];
  /** Where other nodes reach this node's gateway; they head `ips` (the scheduler routes to the first). */
  advertiseIps?: string[];
}): DeviceInfo {
  const { host, deviceDoc } = input;
  const docIps = Array.isArray(deviceDoc.ips) ? deviceDoc.ips.filter((ip): ip is string => typeof ip === 'string') : [];
  const ips = [...new Set([...(input.advertiseIps ?? []), ...docIps])];
  const { arch, os: osName } = platformSlot(host.arch, host.platform);
  const used = Math.max(0, host.totalMem - host.freeMem);
  return {
    ...deviceDoc,
    arch,
    os: osName,
    sys_hostname: host.hostname,
    base_os_info: host.release,
    all_ip: allIps(host.interfaces, input.extraIps),
    cpu_info: host.cpus[0]?.model ?? 'unknown',
    cpu_num: host.cpus.length,
    cpu_mhz: host.cpus[0]?.speed ?? 0,
    total_mem: host.totalMem,
    mem_usage: Math.round(used / MEM_STEP) * MEM_STEP,
    ...(host.disk && { total_space: host.disk.total, disk_usage: Math.round(Math.max(0, host.disk.total - host.disk.free) / DISK_STEP) * DISK_STEP }),
    // The owner-signed device doc may forbid containers on this device even where an engine exists.
    support_container: input.containerEngineFound && deviceDoc.support_container !== false,
    update_time: input.nowSeconds,
    state: 'Ready',
    ...(input.sessionId && { node_session_id: input.sessionId }),
    ...(ips.length > 0 && { ips }),
  };
}
