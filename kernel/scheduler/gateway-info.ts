// nodes/<n>/gateway_info (spec 50 §2.1): which node and port serve each app and service, and how to
// reach the other nodes. The same zone-wide tables go to every node; only node_info and routes differ.
import { canonicalJson } from './canonical.js';
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

const UNROUTABLE = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The route to another node's gateway (issue 12): through an rtcp tunnel, `rtcp://<node>/` as upstream
 * writes it (kind rtcp_direct); the tunnel races the node's addresses (given along as hints), and goes
 * through a relay (an OOD) when none answers. No plain-HTTP route: node-to-node bytes are tunnelled.
 */
export function routesTo(node: NodeItem): GatewayRoute[] {
  const addresses = node.ips.filter((ip) => !UNROUTABLE.has(ip));
  return [{ id: `${node.name}-rtcp`, kind: 'rtcp_direct', url: `rtcp://${node.name}/`, backup: false, ...(addresses.length > 0 && { addresses }) }];
}

export interface RenderedGatewayInfo {
  text: string;
  /** section name → its canonical JSON inside `text` */
  sections: Record<'app_info' | 'node_info' | 'routes' | 'service_info', string>;
}

/**
 * Renders nodes/<n>/gateway_info as canonical JSON. The zone-wide tables are serialised once and
 * spliced into every node's value (keys in canonical order), which keeps a pass over many nodes and
 * apps cheap: only node_info and routes differ between nodes.
 */
export function gatewayInfoRenderer(tables: GatewayTables, nodes: Record<string, NodeItem>): (nodeName: string) => RenderedGatewayInfo {
  const appInfo = canonicalJson(tables.appInfo);
  const serviceInfo = canonicalJson(tables.serviceInfo);
  // `"<node>":[routes]` members, in canonical order; a node's routes are every member but its own.
  const routeMembers: Array<[string, string]> = [];
  for (const name of Object.keys(nodes).sort()) {
    const list = routesTo(nodes[name]);
    if (list.length > 0) routeMembers.push([name, `${JSON.stringify(name)}:${canonicalJson(list)}`]);
  }
  return (nodeName) => {
    const routes = `{${routeMembers.filter(([name]) => name !== nodeName).map(([, member]) => member).join(',')}}`;
    const nodeInfo: NodeGatewayInfo['node_info'] = { this_node_id: nodeName, this_zone_host: tables.zoneHost };
    const sections = { app_info: appInfo, node_info: canonicalJson(nodeInfo), routes, service_info: serviceInfo };
    return {
      text: `{"app_info":${sections.app_info},"node_info":${sections.node_info},"routes":${sections.routes},"service_info":${sections.service_info},"trust_key":{}}`,
      sections,
    };
  };
}

/** Which sections of a stored gateway_info differ from a freshly rendered one (for the action's reason). */
export function changedGatewaySections(current: string | undefined, next: RenderedGatewayInfo): string {
  if (current === undefined) return 'new gateway info';
  const { app_info, node_info, routes, service_info } = next.sections;
  const changed: string[] = [];
  // The big zone-wide tables sit at the two ends of the canonical text: compare them in place.
  if (!current.startsWith(`{"app_info":${app_info},`)) changed.push('app_info');
  if (!current.includes(`"node_info":${node_info},`)) changed.push('node_info');
  if (!current.includes(`"routes":${routes},`)) changed.push('routes');
  if (!current.endsWith(`,"service_info":${service_info},"trust_key":{}}`)) changed.push('service_info');
  return changed.length > 0 ? `changed ${changed.join(', ')}` : 'rewritten in canonical form';
}
