// The connector the gateway plugs in for remote instances: streams to <port> on a device's own loopback,
// pooled by node:http's keep-alive Agent so a request reuses an open stream instead of building a leg.
//   const agent = rtcpAgent(stack);
//   http.request({ host: 'nas', port: 3180, path: '/kapi/…', agent })   // host = device name, DID or rtcp URL
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { RtcpStack } from './stack.js';

/** The smallest dialer a proxy needs: open a byte stream to a port of a device. */
export interface StreamDialer {
  openStream(device: string, port: number): Promise<Duplex>;
}

export function rtcpAgent(stack: StreamDialer, opts: { maxSockets?: number; maxFreeSockets?: number; keepAliveMsecs?: number } = {}): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256, maxFreeSockets: opts.maxFreeSockets ?? 32, keepAliveMsecs: opts.keepAliveMsecs ?? 1000, timeout: 60_000 });
  // node:http accepts a connection handed back through the callback (Agent#createSocket's oncreate).
  (agent as unknown as { createConnection: (o: { host?: string; port?: number | string }, cb: (e: Error | null, s?: Duplex) => void) => undefined }).createConnection = (o, cb) => {
    stack.openStream(String(o.host), Number(o.port)).then((s) => cb(null, s), (e: Error) => cb(e));
    return undefined;
  };
  return agent;
}

export type { RtcpStack };
