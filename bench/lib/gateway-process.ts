// The node gateway alone in its own process, for bench/gateway: app "bench" → the backend, nothing
// else. It is the same code the OOD runs (kernel/gateway/service.ts). Prints one JSON line with its port.
// Run: node --import tsx bench/lib/gateway-process.ts <host> <backend port> [<data-plane workers>]
import { startGateway } from '../../kernel/gateway/service.js';
import { StaticResolver } from '../../kernel/gateway/resolver.js';
import { silentLogger } from '../../kernel/lib/log.js';

const [host, backendPort, workers] = process.argv.slice(2);
const resolver = new StaticResolver();
resolver.setApp('bench', { host, port: Number(backendPort), appId: 'bench' });
const opts = { host, port: 0, log: silentLogger, resolver, zoneHost: 'bench.test', ...(workers ? { workers: Number(workers) } : {}) };
const gw = await startGateway(opts as Parameters<typeof startGateway>[0]);
console.log(JSON.stringify({ port: gw.port }));
process.on('SIGTERM', () => { void gw.stop().then(() => process.exit(0)); });
