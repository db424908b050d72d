// The route table the gateway's control plane pushes to its data plane on every change: plain data
// (it crosses a worker-thread boundary), compiled once per change so a request only does map lookups
// and a weighted pick. Built from the resolvers (bootstrap table + nodes/<self>/gateway_info).

/** Where one upstream is, as the dialer sees it (kernel/gateway/dial.ts). */
export interface UpstreamTarget {
  /** Host (an IP or name) and port to reach; for a remote node, its gateway. */
  host: string;
  port: number;
  /** The upstream is another node's gateway: forward the original URL and Host, one hop only. */
  viaGateway?: boolean;
  /** The other node's name, when the target is another node. */
  node?: string;
  /** The route URL from gateway_info (`http://ip:3180`, later `rtcp://<device>/:<port>`). */
  url?: string;
}

export interface WeightedTarget {
  target: UpstreamTarget;
  weight: number;
}

/** Primary targets share the load by weight; backups are tried only when every primary failed to connect. */
export interface TargetSet {
  primary: WeightedTarget[];
  backup: WeightedTarget[];
}

export type AccessMode = 'public' | 'private';

export interface AppEntry extends TargetSet {
  appId: string;
  /** `public`: anyone from outside; `private`: a session for this app (cookie), else the login page. */
  access: AccessMode;
  /** Whether the owner exposed the app on the zone gateway (the external listener). */
  exposed: boolean;
}

export interface ServiceEntry extends TargetSet {
  /** The host key is an alias of a service (app_info `_`, `sys`, `www` → control-panel). */
  service?: string;
}

export interface RouteTable {
  /** Bumped by the control plane on every push. */
  version: number;
  zoneHost?: string;
  /** by serviceKey() */
  services: Record<string, TargetSet>;
  /** by host key / app name */
  apps: Record<string, AppEntry>;
  /** host key → service id (app_info entries with service_id) */
  serviceHosts: Record<string, string>;
}

export const emptyTargets = (): TargetSet => ({ primary: [], backup: [] });
export const hasTargets = (t: TargetSet | undefined): t is TargetSet => !!t && (t.primary.length > 0 || t.backup.length > 0);

/** Stable text key of a target (connection pools are per key). */
export const targetKey = (t: UpstreamTarget) => `${t.url ?? ''}|${t.host}|${t.port}|${t.viaGateway ? 1 : 0}`;

/**
 * Smooth weighted round robin (nginx's algorithm) over a fixed list: each pick adds every weight to its
 * running score and takes the highest, then subtracts the total from the winner. Deterministic and
 * evenly interleaved; one object per target set per route-table version.
 */
export class WeightedPicker {
  private readonly current: number[];
  private readonly total: number;
  constructor(private readonly items: WeightedTarget[]) {
    this.current = items.map(() => 0);
    this.total = items.reduce((s, i) => s + Math.max(1, i.weight), 0);
  }
  /** Order in which to try the targets for one request: the weighted pick first, then the rest. */
  order(): WeightedTarget[] {
    const n = this.items.length;
    if (n <= 1) return this.items;
    let best = 0;
    for (let i = 0; i < n; i++) {
      this.current[i] += Math.max(1, this.items[i].weight);
      if (this.current[i] > this.current[best]) best = i;
    }
    this.current[best] -= this.total;
    if (best === 0) return this.items;
    return [this.items[best], ...this.items.slice(0, best), ...this.items.slice(best + 1)];
  }
}
