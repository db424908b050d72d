// Routes derived by the scheduler: follows nodes/<self>/gateway_info through a KV watch and answers
// "where is service X / app Y" — a local instance first, otherwise another node's gateway.
import type { SystemConfigClient, WatchLoop } from '../system-config/client.js';
import { nodeGatewayInfoKey } from '../api/keys.js';
import type { NodeGatewayInfo } from '../api/zone.js';
import type { Logger } from '../lib/log.js';
import { OutageLog } from '../lib/outage-log.js';
import { DEFAULT_PORTS } from '../lib/ports.js';
import { serviceKey, type AppUpstream, type GatewayResolver, type ResolverSnapshot, type Upstream } from './resolver.js';
import type { AppEntry, TargetSet, UpstreamTarget } from './routes.js';

export interface GatewayInfoResolverOptions {
  kv: SystemConfigClient;
  nodeName: string;
  /** Where this node's own instances listen (its internal address). */
  localHost: string;
  log: Logger;
}

export class GatewayInfoResolver implements GatewayResolver {
  private info: NodeGatewayInfo | undefined;
  private readonly key: string;
  private readonly loop: WatchLoop;
  private readonly ready: Promise<void>;
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly opts: GatewayInfoResolverOptions) {
    this.key = nodeGatewayInfoKey(opts.nodeName);
    let markReady!: () => void;
    this.ready = new Promise((r) => { markReady = r; });
    // While the zone's system-config does not answer, the routes we have keep serving; say so once.
    const outage = new OutageLog(opts.log, "the zone's system-config");
    this.loop = opts.kv.watchLoop(this.key, async (event) => {
      const change = event.changes.findLast((c) => c.key === this.key);
      if (change && !event.resync) this.apply(change.value);
      else this.apply((await opts.kv.get(this.key))?.value ?? null);
      outage.ok();
      markReady();
    }, { onError: (e) => outage.failed(e, 'following gateway_info; the routes already known keep serving') });
  }

  /** Resolves once the first gateway_info has been read. */
  whenReady(): Promise<void> { return this.ready; }

  onChange(listener: () => void) { this.listeners.push(listener); }

  private apply(value: string | null) {
    if (value === null) this.info = undefined;
    else {
      try {
        const parsed = JSON.parse(value) as NodeGatewayInfo;
        this.info = parsed && typeof parsed === 'object' ? parsed : undefined;
      } catch {
        this.opts.log.warn('ignoring malformed gateway_info', { key: this.key });
        return;
      }
    }
    for (const l of this.listeners) l();
  }

  /**
   * A route URL as a dial target: `rtcp://<node>/` reaches the node's gateway port through the tunnel
   * (the dialer adds `:<port>`), `http://host:port` (older scheduler) plain TCP.
   */
  private static target(node: string, url: string): UpstreamTarget | undefined {
    try {
      const u = new URL(url);
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : u.protocol === 'rtcp:' ? DEFAULT_PORTS.gateway : 80));
      return { host: u.hostname.replace(/^\[|\]$/g, ''), port, viaGateway: true, node, url };
    } catch {
      return undefined;
    }
  }

  /** The routes to `node`'s gateway, each with `weight`: non-backup ones primary, the rest backup. */
  private nodeTargets(node: string, weight: number, into: TargetSet) {
    for (const r of this.info?.routes?.[node] ?? []) {
      const target = GatewayInfoResolver.target(node, r.url);
      if (target) (r.backup ? into.backup : into.primary).push({ target, weight });
    }
  }

  /** Scheduler's selector → targets: this node's own instance alone when there is one, else every node by weight. */
  private selectorTargets(selector: Record<string, { port: number; weight: number }> | undefined): TargetSet {
    const set: TargetSet = { primary: [], backup: [] };
    if (!selector) return set;
    const self = selector[this.opts.nodeName];
    if (self) { set.primary.push({ target: { host: this.opts.localHost, port: self.port }, weight: 1 }); return set; }
    const others = Object.entries(selector).sort(([a, x], [b, y]) => y.weight - x.weight || a.localeCompare(b));
    const zero: TargetSet = { primary: [], backup: [] };
    for (const [node, s] of others) this.nodeTargets(node, s.weight, s.weight > 0 ? set : zero);
    // Nodes the scheduler weighted 0 take traffic only when no other route connects.
    set.backup.push(...zero.primary, ...zero.backup);
    if (set.primary.length === 0) { set.primary = set.backup; set.backup = []; }
    return set;
  }

  snapshot(): ResolverSnapshot {
    const out: ResolverSnapshot = { services: {}, apps: {}, serviceHosts: {}, zoneHost: this.info?.node_info?.this_zone_host || undefined };
    const info = this.info;
    if (!info) return out;
    for (const [id, s] of Object.entries(info.service_info ?? {})) out.services[serviceKey(id)] = this.selectorTargets(s.selector);
    for (const [host, entry] of Object.entries(info.app_info ?? {})) {
      if ('service_id' in entry) {
        out.serviceHosts[host] = entry.service_id;
        continue;
      }
      const set: TargetSet = { primary: [], backup: [] };
      if (entry.node_id === this.opts.nodeName) set.primary.push({ target: { host: this.opts.localHost, port: entry.port }, weight: 1 });
      else this.nodeTargets(entry.node_id, 100, set);
      if (set.primary.length === 0) { set.primary = set.backup; set.backup = []; }
      const app: AppEntry = { ...set, appId: entry.app_id, access: entry.access_mode === 'public' ? 'public' : 'private', exposed: entry.exposed === true };
      out.apps[host] = app;
    }
    return out;
  }

  private remote(node: string): Upstream | undefined {
    const route = this.info?.routes?.[node]?.find((r) => !r.backup) ?? this.info?.routes?.[node]?.[0];
    const t = route && GatewayInfoResolver.target(node, route.url);
    return t && { host: t.host, port: t.port, viaGateway: true };
  }

  private pick(selector: Record<string, { port: number; weight: number }> | undefined): Upstream | undefined {
    if (!selector) return undefined;
    const self = selector[this.opts.nodeName];
    if (self) return { host: this.opts.localHost, port: self.port };
    const others = Object.entries(selector).filter(([, s]) => s.weight > 0).sort(([a, x], [b, y]) => y.weight - x.weight || a.localeCompare(b));
    for (const [node] of others) {
      const up = this.remote(node);
      if (up) return up;
    }
    return undefined;
  }

  service(name: string): Upstream | undefined {
    const services = this.info?.service_info;
    if (!services) return undefined;
    const key = serviceKey(name);
    return this.pick(services[key]?.selector ?? services[name]?.selector);
  }

  app(name: string): AppUpstream | undefined {
    const entry = this.info?.app_info?.[name];
    if (!entry) return undefined;
    if ('service_id' in entry) {
      const up = this.service(entry.service_id);
      return up && { ...up, appId: entry.service_id };
    }
    if (entry.node_id === this.opts.nodeName) return { host: this.opts.localHost, port: entry.port, appId: entry.app_id };
    const up = this.remote(entry.node_id);
    return up && { ...up, appId: entry.app_id };
  }

  stop(): Promise<void> { return this.loop.stop(); }
}
