// What an unactivated device tells the owner's client about itself (GET /device, spec 40 §4
// DeviceMiniInfo) and the machine facts that go into its DeviceInfo. Names follow upstream (amd64, …).
import { arch, cpus, freemem, hostname, networkInterfaces, platform, release, totalmem } from 'node:os';
import type { DeviceMachineFacts } from './identity/documents.js';

export type ActivationState = 'inactive' | 'actived' | 'error';

export interface DeviceMiniInfo {
  hostname: string;
  device_type: 'ood';
  arch: string;
  os: string;
  base_os_info: string;
  state: ActivationState;
  cpu_info?: string;
  cpu_num: number;
  total_mem: number;
  mem_usage: number;
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'aarch64' };
const OS: Record<string, string> = { linux: 'linux', win32: 'windows', darwin: 'macos' };

const deviceArch = () => ARCH[arch()] ?? arch();
const deviceOs = () => OS[platform()] ?? platform();

export function deviceMiniInfo(state: ActivationState): DeviceMiniInfo {
  const cpu = cpus();
  const info: DeviceMiniInfo = {
    hostname: hostname(),
    device_type: 'ood',
    arch: deviceArch(),
    os: deviceOs(),
    base_os_info: `${platform()} ${release()}`,
    state,
    cpu_num: cpu.length,
    total_mem: totalmem(),
    mem_usage: totalmem() - freemem(),
  };
  if (cpu[0]?.model) info.cpu_info = cpu[0].model.trim();
  return info;
}

export function machineFacts(nowSeconds: number): DeviceMachineFacts {
  const cpu = cpus();
  const ips = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
  return {
    arch: deviceArch(),
    os: deviceOs(),
    update_time: nowSeconds,
    sys_hostname: hostname(),
    base_os_info: `${platform()} ${release()}`,
    ...(ips.length > 0 && { all_ip: ips }),
    ...(cpu[0]?.model && { cpu_info: cpu[0].model.trim() }),
    cpu_num: cpu.length,
    ...(cpu[0]?.speed && { cpu_mhz: cpu[0].speed }),
    total_mem: totalmem(),
    mem_usage: totalmem() - freemem(),
  };
}
