// Loopback addresses and ports for benches: a random 127.x.y.z per run, so a bench never collides
// with a developer's OOD on 127.0.0.1 or with tests running in parallel.
import { createServer } from 'node:net';

const rand = () => 1 + Math.floor(Math.random() * 250);
export const randomLoopbackHost = () => `127.${rand()}.${rand()}.${rand()}`;

export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
