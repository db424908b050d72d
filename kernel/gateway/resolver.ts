// Where a request for /kapi/<service> or an app goes. The gateway asks a resolver; the OOD entry
// builds one from the bootstrap table (services that always run in the kernel process) and the
// node's gateway_info that the scheduler derives from live instance reports.

export interface Upstream {
  host: string;
  port: number;
  /** The upstream is another node's gateway: forward the original URL and Host, one hop only. */
  viaGateway?: boolean;
}

export interface AppUpstream extends Upstream {
  appId: string;
}

export interface GatewayResolver {
  service(name: string): Upstream | undefined;
  app(name: string): AppUpstream | undefined;
}

/** Service ids appear in URLs with '_' (system_config) and in specs with '-' (system-config). */
const ALIASES: Record<string, string> = { repo: 'repo-service' };
export const serviceKey = (name: string) => {
  const key = name.replace(/_/g, '-').toLowerCase();
  return ALIASES[key] ?? key;
};

export class StaticResolver implements GatewayResolver {
  private readonly services = new Map<string, Upstream>();
  private readonly apps = new Map<string, AppUpstream>();
  setService(name: string, up: Upstream | undefined) {
    if (up) this.services.set(serviceKey(name), up);
    else this.services.delete(serviceKey(name));
  }
  setApp(name: string, up: AppUpstream | undefined) {
    if (up) this.apps.set(name, up);
    else this.apps.delete(name);
  }
  service(name: string) { return this.services.get(serviceKey(name)); }
  app(name: string) { return this.apps.get(name); }
}

/** First resolver that knows the name wins (bootstrap table before scheduler-derived routes). */
export function chainResolvers(...resolvers: GatewayResolver[]): GatewayResolver {
  return {
    service: (n) => { for (const r of resolvers) { const u = r.service(n); if (u) return u; } return undefined; },
    app: (n) => { for (const r of resolvers) { const u = r.app(n); if (u) return u; } return undefined; },
  };
}
