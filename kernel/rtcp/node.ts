// Every activated OOD and joined node runs an rtcp stack: the :2980 listener on its host address, and
// the connector (stack.openStream(device, port)) its gateway can dial remote instances with.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BootingNode } from '../node-services.js';
import { parseOodString } from '../lib/identity/ood-string.js';
import { RtcpStack } from './stack.js';
import { GatewayInfoWatch, KvPeerDirectory, KvRevocationList } from './zone.js';

export interface DeviceRtcpOptions {
  /** The rtcp port (default 2980). */
  port: number;
  /** This node's gateway port: peers may open streams to it (it routes to the node's services). */
  gatewayPort: number;
  /** Act as a relay for the zone's devices (OODs do). */
  relay: boolean;
}

export async function startDeviceRtcp(n: BootingNode, o: DeviceRtcpOptions): Promise<RtcpStack> {
  const kv = n.kvFor('cyfs-gateway');
  const log = n.log.child('rtcp');
  const routes = new GatewayInfoWatch(kv, n.id.deviceName, log);
  await n.started.push(routes);
  const revocations = new KvRevocationList(kv, log);
  await n.started.push(revocations);
  const oods = ((n.id.zoneBoot.oods as string[] | undefined) ?? []).map((s) => parseOodString(s).name);
  const directory = new KvPeerDirectory({ kv, routes, relays: oods, self: n.id.deviceName });
  const gatewayHost = n.host === '0.0.0.0' || n.host === '::' ? n.internalHost : n.host;
  const stack = new RtcpStack({
    identity: {
      deviceName: n.id.deviceName, deviceDid: n.id.deviceDid, privateKeyPem: n.id.devicePrivateKeyPem, publicJwk: n.id.devicePublicJwk,
      deviceDocJwt: n.id.deviceDocJwt, ownerDid: n.id.ownerDid, ownerJwk: n.id.ownerPublicJwk, zoneDid: n.id.zoneDid,
    },
    directory, revocations, localHost: n.internalHost,
    hostFor: (port) => (port === o.gatewayPort ? gatewayHost : n.internalHost),
    exposes: (port) => port === o.gatewayPort || routes.localPorts().has(port),
    listen: { host: n.host, port: o.port }, relay: o.relay, log,
  });
  try {
    await stack.start();
    log.info('rtcp listening', { address: `${n.host}:${stack.port}` });
  } catch (e) {
    // The rest of the node works without rtcp (the gateway still has its one-hop HTTP path): say so, go on.
    log.warn('rtcp could not listen; this node can dial out but not be reached over rtcp', { address: `${n.host}:${o.port}`, error: (e as Error).message });
  }
  await n.started.push(stack);
  // keep_tunnel (spec 50 §5): a node that is not on the WAN keeps a tunnel to every OOD, so the OODs
  // (and devices relayed through them) can reach it behind NAT.
  const netId = String(n.id.deviceDoc.net_id ?? '');
  if (!oods.includes(n.id.deviceName) && !netId.startsWith('wan')) for (const ood of oods) stack.keepTunnel(ood);
  return stack;
}

/**
 * The gateway dialer module (gateway-dialer.ts) as the data-plane worker imports it: the .ts file beside
 * this one when run from the sources (the worker registers tsx), else the bundle's rtcp/gateway-dialer.mjs
 * (dist/kernel, or the kernel bundle beside dist/electron). Undefined when the bundle has none.
 */
export function rtcpDialerModule(): string | undefined {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./gateway-dialer.ts', here).href;
  for (const rel of ['./rtcp/gateway-dialer.mjs', '../kernel/rtcp/gateway-dialer.mjs']) {
    const url = new URL(rel, here);
    if (existsSync(fileURLToPath(url))) return url.href;
  }
  return undefined;
}

/** The stack, promised before it exists: the gateway starts first (the stack needs its port). */
export function lateStack(): { promise: Promise<RtcpStack>; resolve(stack: RtcpStack): void } {
  let resolve!: (stack: RtcpStack) => void;
  const promise = new Promise<RtcpStack>((r) => { resolve = r; });
  return { promise, resolve };
}
