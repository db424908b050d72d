// services/<s>/info from live instance reports only (spec 20 §5 step 4, keyed by node as in §11).
// A report is live while its state is "started" and it has not lapsed (ReportItem.liveUntil: expires_at,
// or its node's heartbeat); dead instances drop out at once.
import type { NodeItem, ReportItem, ServiceInfo, ServiceNode } from './types.js';

export const SERVICE_WEIGHT = 100;

export const isLive = (r: ReportItem, now: number) => r.state === 'started' && now < r.liveUntil;

export function deriveServiceInfo(reports: Record<string, ReportItem> | undefined, nodes: Record<string, NodeItem>, now: number): ServiceInfo {
  const node_list: Record<string, ServiceNode> = {};
  for (const name of Object.keys(reports ?? {}).sort()) {
    const r = reports![name];
    if (!isLive(r, now)) continue;
    const item = Object.hasOwn(nodes, name) ? nodes[name] : undefined;
    const entry: ServiceNode = {
      node_did: item?.did ?? r.nodeDid ?? `did:bns:${name}`,
      state: 'started',
      weight: SERVICE_WEIGHT,
      service_port: r.ports,
    };
    if (item?.netId) entry.node_net_id = item.netId;
    node_list[name] = entry;
  }
  return { selector_type: 'random', node_list };
}
