import type { CheckResult, HealthCheck } from './check';

const GiB = 1024 ** 3;
/** Below these the owner should act: apps soon cannot save, updates cannot be unpacked. */
export const DISK_WARN = { bytes: 2 * GiB, fraction: 0.05 };
export const DISK_BAD = { bytes: GiB / 2, fraction: 0.01 };

const gib = (n: number) => Math.max(0, Math.round((n / GiB) * 10) / 10);
const below = (free: number, total: number, limit: { bytes: number; fraction: number }) => free < limit.bytes || free < total * limit.fraction;

/** The data disk of every device that reports one; the fullest one names the problem. */
export const diskCheck: HealthCheck = {
  id: 'disk',
  run: ({ overview }): CheckResult => {
    if (!overview) return { status: 'warn', what: 'home.checks.unknown', next: 'home.checks.unknownNext' };
    const disks = overview.nodes.filter((n) => n.disk).map((n) => ({ device: n.name, total: n.disk!.total, free: Math.max(0, n.disk!.total - n.disk!.used) }));
    if (disks.length === 0) return { status: 'ok', what: 'homeChecks.disk.unknown' };
    const worst = [...disks].sort((a, b) => a.free - b.free)[0];
    const status = below(worst.free, worst.total, DISK_BAD) ? 'bad' : below(worst.free, worst.total, DISK_WARN) ? 'warn' : 'ok';
    const values = { device: worst.device, free: gib(worst.free), total: gib(worst.total) };
    return status === 'ok'
      ? { status, what: 'homeChecks.disk.ok', values }
      : { status, what: 'homeChecks.disk.low', next: 'homeChecks.disk.next', values };
  },
};
