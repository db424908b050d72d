// Timing knobs of a node that tests and demos shorten through the environment: how long a silent node
// may stay before the scheduler re-places its instances, and how often node-daemon says it is alive.
import { KrpcError } from './lib/errors.js';

export interface NodeTuning {
  /** Seconds without a devices/<n>/info update after which a node is gone (scheduler; default 45). */
  nodeGoneAfterS?: number;
  /** How often node-daemon rewrites device info and instance reports, in ms (default 10 000). */
  reportIntervalMs?: number;
  /** Lifetime of verify-hub's sudo tokens in seconds (default and most: 180). */
  sudoTtlS?: number;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new KrpcError('INVALID_PARAMS', `${name}=${raw.slice(0, 32)} must be a whole number from 1 to ${max}`);
  return n;
}

/** BUCKYOS_NODE_GONE_AFTER_S, BUCKYOS_REPORT_INTERVAL_MS and BUCKYOS_SUDO_TTL_S; unset means the defaults. */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): NodeTuning {
  return {
    nodeGoneAfterS: positiveInt(env, 'BUCKYOS_NODE_GONE_AFTER_S', 24 * 3600),
    reportIntervalMs: positiveInt(env, 'BUCKYOS_REPORT_INTERVAL_MS', 3_600_000),
    sudoTtlS: positiveInt(env, 'BUCKYOS_SUDO_TTL_S', 180),
  };
}
