// BuckyOS default ports (spec 50 §1). Every one can be overridden per node for tests.
export const DEFAULT_PORTS = {
  gateway: 3180,
  activation: 3182,
  systemConfig: 3200,
  verifyHub: 3300,
  scheduler: 3400,
  repo: 4000,
  /** ours: the app lifecycle service (/kapi/app_manager) */
  appManager: 4010,
  controlPanel: 4020,
  rtcp: 2980,
  /** First app port hint: 10000 + 16·app_index (spec 20 §8). */
  appBase: 10000,
} as const;
/** The zone gateway's external ports (spec 50 §1), where the OS allows binding them. */
export const DEFAULT_ZONE_GATEWAY_PORTS = { https: 443, http: 80 } as const;

export type PortMap = { -readonly [K in keyof typeof DEFAULT_PORTS]: number };

export const appPortHint = (appIndex: number) => DEFAULT_PORTS.appBase + 16 * appIndex;

/**
 * Where a node's internal services (system-config, verify-hub, repo) listen: the node's own address
 * when that is a loopback address (so several nodes share one machine with default ports),
 * otherwise 127.0.0.1 — internal services are never exposed on the LAN.
 */
export function internalHostFor(nodeHost: string): string {
  return /^127\./.test(nodeHost) ? nodeHost : '127.0.0.1';
}
