// How the gateway's data plane opens a connection to an upstream. Pluggable: the default dials plain
// TCP (a local instance, or another node's gateway over HTTP); the rtcp work plugs in a dialer that
// opens a stream through the tunnel to the target device for `rtcp://` route URLs.
//
// A dialer runs inside the data plane (a worker thread), so it is given as a module the worker imports:
//   GatewayOptions.dialer = { module: 'file:///…/rtcp-dialer.js', options: {…structured-cloneable…} }
// The module exports `createDialer(options): DialUpstream | Promise<DialUpstream>`. A gateway run on the
// caller's thread (`workers: 0`) may instead take a `dialUpstream` function directly.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { KrpcError } from '../lib/errors.js';
import type { UpstreamTarget } from './routes.js';

/**
 * Opens a byte stream to `target`; it resolves once the stream is connected (so a failure can move on
 * to the next target before any request byte is sent). Reject with an error whose `code` is
 * ECONNREFUSED when nothing listens there (the gateway answers 503), any other error → 502.
 * The stream is used for HTTP/1.1 with keep-alive and pooled: the gateway may keep it open and send
 * further requests; it closes it with destroy(). `signal` aborts a dial that takes too long.
 */
export type DialUpstream = (target: UpstreamTarget, signal: AbortSignal) => Promise<Duplex>;

/** What a dialer module exports. */
export type CreateDialer = (options: unknown) => DialUpstream | Promise<DialUpstream>;

export interface DialerModule {
  /** URL (file:) or specifier of an ES module exporting `createDialer`. */
  module: string;
  /** Passed to createDialer; must survive structured cloning. */
  options?: unknown;
}

/** The default: plain TCP to host:port; other URL schemes need a dialer that knows them. */
export const dialTcp: DialUpstream = (target, signal) => new Promise((resolve, reject) => {
  if (target.url && !/^https?:\/\//i.test(target.url)) {
    reject(new KrpcError('UNAVAILABLE', `no dialer for ${target.url.split(':')[0]}:// routes on this node`));
    return;
  }
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  const onAbort = () => { socket.destroy(); reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })); };
  signal.addEventListener('abort', onAbort, { once: true });
  socket.once('connect', () => { signal.removeEventListener('abort', onAbort); socket.off('error', reject); resolve(socket); });
  socket.once('error', (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
});

export async function loadDialer(d: DialerModule | undefined): Promise<DialUpstream> {
  if (!d) return dialTcp;
  const mod = (await import(d.module)) as { createDialer?: CreateDialer };
  if (typeof mod.createDialer !== 'function') throw new KrpcError('INVALID_PARAMS', `${d.module} exports no createDialer`);
  return mod.createDialer(d.options);
}
