// Child process of bench/kv.ts: system-config on a LogStore preloaded with N keys, in its own process
// (as etcd is in its own). Prints one JSON line {url, token} once it listens; SIGTERM stops it.
// Usage: node --import tsx bench/lib/kv-server.ts <host> <kv dir> <preload keys> <value bytes>
import { openLogStore } from '../../kernel/system-config/store/log-store.js';
import { startSystemConfig, SYSTEM_CONFIG_PATH } from '../../kernel/system-config/service.js';
import { generateEd25519 } from '../../kernel/lib/identity/keys.js';
import { nowSeconds, signJwt } from '../../kernel/lib/identity/jwt.js';
import { silentLogger } from '../../kernel/lib/log.js';
import { preload } from './kv-data.js';

const [host, dir, keysArg, valueBytesArg] = process.argv.slice(2);
const DEVICE = 'ood1';
const owner = generateEd25519();
const device = generateEd25519();

const store = await openLogStore(dir);
await preload(store, Number(keysArg), Number(valueBytesArg));
const service = await startSystemConfig({
  store, host, port: 0, log: silentLogger, zoneDid: 'did:bns:benchzone',
  owner: { did: 'did:bns:benchowner', publicJwk: owner.publicJwk },
  device: { name: DEVICE, did: `did:dev:${DEVICE}`, publicJwk: device.publicJwk },
});
// A kernel service's device-signed token (docs/CONTRACTS.md), as node-daemon would use.
const token = await signJwt({ iss: DEVICE, sub: DEVICE, appid: 'node-daemon', jti: 'bench', iat: nowSeconds(), exp: nowSeconds() + 3600 }, device.privateKeyPem, DEVICE);
process.stdout.write(JSON.stringify({ url: `http://${host}:${service.port}${SYSTEM_CONFIG_PATH}`, token }) + '\n');
process.once('SIGTERM', async () => {
  await service.stop();
  await store.close();
  process.exit(0);
});
