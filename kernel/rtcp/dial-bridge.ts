// The gateway's data plane runs in a worker thread and dials upstreams through a dialer module it
// imports there; the rtcp stack (one per device: one control tunnel per device pair) lives on the
// node's main thread. The bridge joins them: a loopback listener on the main thread that takes one
// line, `<secret> <rtcp URL>\n`, opens that stream through the stack, answers `OK\n` (or
// `ERR <message>\n`) and splices. The secret is made per start and handed to the worker only.
// kernel/rtcp/gateway-dialer.ts is the worker side.
import net from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { splice } from './stack.js';

export interface DialBridge {
  host: string;
  port: number;
  secret: string;
  stop(): Promise<void>;
}

export interface BridgeDialer {
  openStream(target: string): Promise<Duplex>;
}

const MAX_LINE = 4096;

export async function startDialBridge(stack: BridgeDialer, host = '127.0.0.1'): Promise<DialBridge> {
  const secret = randomBytes(24).toString('hex');
  const expected = Buffer.from(secret);
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.setNoDelay(true);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(10);
      if (nl < 0) { if (buf.length > MAX_LINE) sock.destroy(); return; }
      sock.off('data', onData);
      sock.pause();
      const [given, target] = buf.subarray(0, nl).toString('utf8').split(' ');
      const rest = buf.subarray(nl + 1);
      const g = Buffer.from(given ?? '');
      if (g.length !== expected.length || !timingSafeEqual(g, expected) || !target) { sock.destroy(); return; }
      stack.openStream(target).then((up) => {
        sock.write('OK\n');
        if (rest.length > 0) up.write(rest);
        splice(sock, up);
        sock.resume();
      }, (e: Error) => { sock.end(`ERR ${e.message.replace(/\n/g, ' ')}\n`); });
    };
    sock.on('data', onData);
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, host, () => resolve()); });
  return {
    host, port: (server.address() as net.AddressInfo).port, secret,
    stop: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
