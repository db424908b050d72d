// The worker side of the dial bridge (dial-bridge.ts): a gateway dialer module. The gateway's data plane
// imports it and calls createDialer({ bridge: { host, port, secret } }); `rtcp://` targets go through
// the node's rtcp stack, anything else is plain TCP to host:port.
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface DialTarget {
  host: string;
  port: number;
  /** The route URL, when the target came from a route (`rtcp://nas/:3180`, `http://10.0.0.2:3180`). */
  url?: string;
}

export interface GatewayDialerOptions {
  bridge: { host: string; port: number; secret: string };
}

function connect(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const onAbort = () => { socket.destroy(); reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })); };
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => { signal.removeEventListener('abort', onAbort); socket.off('error', reject); resolve(socket); });
    socket.once('error', (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

/** `rtcp://<device>/:<port>` for a target without a URL path port. */
function rtcpTarget(t: DialTarget): string {
  const url = t.url!;
  return /\/[^/]*:\d+\/?$/.test(url) ? url : `${url.replace(/\/+$/, '')}/:${t.port}`;
}

export function createDialer(options: GatewayDialerOptions) {
  const { bridge } = options;
  return async (target: DialTarget, signal: AbortSignal): Promise<Duplex> => {
    if (!target.url?.startsWith('rtcp://')) return connect(target.host, target.port, signal);
    const sock = await connect(bridge.host, bridge.port, signal);
    sock.write(`${bridge.secret} ${rtcpTarget(target)}\n`);
    return new Promise<Duplex>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const fail = (e: Error) => { sock.destroy(); reject(e); };
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        sock.off('data', onData);
        sock.off('end', onEnd);
        const line = buf.subarray(0, nl).toString();
        if (line !== 'OK') {
          // UNREACHABLE/REFUSED from rtcp: no service there as far as the gateway can tell
          fail(Object.assign(new Error(line.replace(/^ERR /, '')), { code: /REFUSED|NOT_FOUND/.test(line) ? 'ECONNREFUSED' : 'EHOSTUNREACH' }));
          return;
        }
        sock.pause();
        const rest = buf.subarray(nl + 1);
        if (rest.length > 0) sock.unshift(rest);
        resolve(sock);
        // paused so nothing is lost before the caller listens; a caller that added a 'data' listener gets it flowing
        setImmediate(() => { if (sock.listenerCount('data') > 0) sock.resume(); });
      };
      const onEnd = () => fail(new Error('the rtcp bridge closed the connection'));
      sock.on('data', onData);
      sock.once('end', onEnd);
      sock.once('error', fail);
    });
  };
}
