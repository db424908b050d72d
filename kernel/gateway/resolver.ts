// Where a request for /kapi/<service> or an app goes: the gateway's control plane. Resolvers know the
// routes (the entry's bootstrap table of services that always run in the kernel process, and the
// node's gateway_info the scheduler derives from live instance reports); on every change the gateway
// compiles their snapshot into a route table and pushes it to the data plane (routes.ts).
import type { AccessMode, AppEntry, TargetSet } from './routes.js';

export interface Upstream {
  host: string;
  port: number;
  /** The upstream is another node's gateway: forward the original URL and Host, one hop only. */
  viaGateway?: boolean;
}

export interface AppUpstream extends Upstream {
  appId: string;
  /** Zone gateway: `public` or `private` (the default). */
  access?: AccessMode;
  /** Zone gateway: reachable from outside at all (default false). */
  exposed?: boolean;
}

/** What a resolver knows, as target sets (services by serviceKey, apps by host key). */
export interface ResolverSnapshot {
  zoneHost?: string;
  services: Record<string, TargetSet>;
  apps: Record<string, AppEntry>;
  /** host key → service id (app_info aliases such as `_` → control-panel) */
  serviceHosts: Record<string, string>;
}

export interface GatewayResolver {
  service(name: string): Upstream | undefined;
  app(name: string): AppUpstream | undefined;
  snapshot(): ResolverSnapshot;
  /** Calls `listener` after every change of what snapshot() returns. */
  onChange(listener: () => void): void;
}

/** Service ids appear in URLs with '_' (system_config) and in specs with '-' (system-config). */
const ALIASES: Record<string, string> = { repo: 'repo-service' };
export const serviceKey = (name: string) => {
  const key = name.replace(/_/g, '-').toLowerCase();
  return ALIASES[key] ?? key;
};

export const single = (up: Upstream): TargetSet => ({ primary: [{ target: { host: up.host, port: up.port, ...(up.viaGateway ? { viaGateway: true } : {}) }, weight: 1 }], backup: [] });

export class StaticResolver implements GatewayResolver {
  private readonly services = new Map<string, Upstream>();
  private readonly apps = new Map<string, AppUpstream>();
  private readonly listeners: Array<() => void> = [];
  private changed() { for (const l of this.listeners) l(); }
  setService(name: string, up: Upstream | undefined) {
    if (up) this.services.set(serviceKey(name), up);
    else this.services.delete(serviceKey(name));
    this.changed();
  }
  setApp(name: string, up: AppUpstream | undefined) {
    if (up) this.apps.set(name, up);
    else this.apps.delete(name);
    this.changed();
  }
  service(name: string) { return this.services.get(serviceKey(name)); }
  app(name: string) { return this.apps.get(name); }
  snapshot(): ResolverSnapshot {
    const services: Record<string, TargetSet> = {};
    for (const [k, up] of this.services) services[k] = single(up);
    const apps: Record<string, AppEntry> = {};
    for (const [k, up] of this.apps) apps[k] = { ...single(up), appId: up.appId, access: up.access ?? 'private', exposed: up.exposed ?? false };
    return { services, apps, serviceHosts: {} };
  }
  onChange(listener: () => void) { this.listeners.push(listener); }
}

/** First resolver that knows the name wins (bootstrap table before scheduler-derived routes). */
export function chainResolvers(...resolvers: GatewayResolver[]): GatewayResolver {
  return {
    service: (n) => { for (const r of resolvers) { const u = r.service(n); if (u) return u; } return undefined; },
    app: (n) => { for (const r of resolvers) { const u = r.app(n); if (u) return u; } return undefined; },
    snapshot: () => {
      const out: ResolverSnapshot = { services: {}, apps: {}, serviceHosts: {} };
      for (const r of [...resolvers].reverse()) {
        const s = r.snapshot();
        out.zoneHost = s.zoneHost ?? out.zoneHost;
        Object.assign(out.services, s.services);
        Object.assign(out.apps, s.apps);
        Object.assign(out.serviceHosts, s.serviceHosts);
      }
      // The first resolver's zone host wins too.
      for (const r of resolvers) { const z = r.snapshot().zoneHost; if (z) { out.zoneHost = z; break; } }
      return out;
    },
    onChange: (listener) => { for (const r of resolvers) r.onChange(listener); },
  };
}
