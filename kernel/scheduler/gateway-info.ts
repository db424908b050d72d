// nodes/<n>/gateway_info (spec 50 §2.1): which node and port serve each app and service, and how to
// reach the other nodes. The same zone-wide tables go to every node; only node_info and routes differ.
import { DEFAULT_PORTS } from '../lib/ports.js';
import type { AppRoute, GatewayRoute, NodeGatewayInfo, NodeItem, ServiceAlias, ServiceInfo } from './types.js';

export interface GatewayTables {
  zoneHost: string;
  /** host key → app route or service alias */
  appInfo: Record<string, AppRoute | ServiceAlias>;
  serviceInfo: NodeGatewayInfo['service_info'];
}

export function selectorOf(info: ServiceInfo | undefined): Record<string, { port: number; weight: number }> {
  const selector: Record<string, { port: number; weight: number }> = {};
  if (!info) return selector;
  for (const node of Object.keys(info.node_list).sort()) {
    const n = info.node_list[node];
    const port = n.service_port.www;
    if (port !== undefined) selector[node] = { port, weight: n.weight };
  }
  return selector;
}

const urlHost = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);
const UNROUTABLE = new Set(['127.0.0.1', '::1', 'localhost']);

/** Direct routes to another node's gateway: the first address is primary, the rest are backups. */
export function routesTo(node: NodeItem): GatewayRoute[] {
  return node.ips
    .filter((ip) => !UNROUTABLE.has(ip))
    .map((ip, i) => ({ id: `${node.name}-direct-${i}`, kind: 'direct' as const, url: `http://${urlHost(ip)}:${DEFAULT_PORTS.gateway}`, backup: i > 0 }));
}

export function deriveGatewayInfo(nodeName: string, tables: GatewayTables, nodes: Record<string, NodeItem>): NodeGatewayInfo {
  const routes: Record<string, GatewayRoute[]> = {};
  for (const other of Object.keys(nodes).sort()) {
    if (other === nodeName) continue;
    const list = routesTo(nodes[other]);
    if (list.length > 0) routes[other] = list;
  }
  return {
    node_info: { this_node_id: nodeName, this_zone_host: tables.zoneHost },
    app_info: tables.appInfo,
    service_info: tables.serviceInfo,
    routes,
    trust_key: {},
  };
}
