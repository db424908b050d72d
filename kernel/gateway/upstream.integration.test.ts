// The upstream connection pool against a real TCP service: a connection that goes back to the pool
// paused (the proxy pauses it for backpressure and the client's drain may never come once the answer
// ended) must still deliver the next answer on it. It once sat unread until the 30 s headers timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { dialTcp } from './dial.js';
import { ConnectionPools, readResponse, type UpstreamHead } from './upstream.js';
import { randomLoopback } from '../testing/harness.js';
import { targetKey } from './routes.js';

test('a connection released while paused answers the next request taken from the pool', async () => {
  const host = randomLoopback();
  // A keep-alive HTTP service: every request head gets one small answer.
  const server = net.createServer((socket) => {
    let seen = '';
    socket.on('data', (d) => {
      seen += d.toString('latin1');
      while (seen.includes('\r\n\r\n')) {
        seen = seen.slice(seen.indexOf('\r\n\r\n') + 4);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  const target = { host, port: (server.address() as net.AddressInfo).port };
  const pools = new ConnectionPools(dialTcp);
  const ask = async () => {
    const { conn, reused } = await pools.acquire(target);
    conn.stream.write(`GET / HTTP/1.1\r\nhost: x\r\n\r\n`);
    const head = await new Promise<UpstreamHead>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 5 s: the connection was left paused')), 5000);
      let got: UpstreamHead | undefined;
      readResponse(conn.stream, false, {
        onHead: (h) => { got = h; },
        onData: () => {},
        onEnd: () => {},
        onError: (e) => reject(e),
      }, (reusable) => {
        clearTimeout(timer);
        assert.ok(reusable);
        // What the proxy does when the client is slow to read the end of the answer.
        conn.stream.pause();
        pools.release(targetKey(target), conn);
        if (got) resolve(got);
      });
    });
    return { status: head.status, reused };
  };
  try {
    assert.deepEqual(await ask(), { status: 200, reused: false });
    assert.deepEqual(await ask(), { status: 200, reused: true });
    assert.deepEqual(await ask(), { status: 200, reused: true });
  } finally {
    pools.destroy();
    server.close();
  }
});
