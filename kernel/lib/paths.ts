// The data folder of one node (--data). Everything a node needs to restart lives here and nothing
// outside it is touched: identity (etc/), the KV store (kv/), packages (pkgs/), app data (data/), logs.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DataPaths {
  root: string;
  etc: string;
  nodeIdentity: string;
  startConfig: string;
  deviceKey: string;
  deviceDocJwt: string;
  deviceMiniDocJwt: string;
  zoneBootJwt: string;
  zoneDocJwt: string;
  kv: string;
  pkgs: string;
  repo: string;
  data: string;
  logs: string;
  run: string;
}

export function defaultDataDir(): string {
  return process.env.BUCKYOS_DATA ?? join(homedir(), '.buckyos');
}

export function dataPaths(root: string): DataPaths {
  const r = resolve(root);
  const etc = join(r, 'etc');
  return {
    root: r,
    etc,
    nodeIdentity: join(etc, 'node_identity.json'),
    startConfig: join(etc, 'start_config.json'),
    deviceKey: join(etc, 'device_key.pem'),
    deviceDocJwt: join(etc, 'device_doc.jwt'),
    deviceMiniDocJwt: join(etc, 'device_mini_doc.jwt'),
    zoneBootJwt: join(etc, 'zone_boot_config.jwt'),
    zoneDocJwt: join(etc, 'zone_document.jwt'),
    kv: join(r, 'kv'),
    pkgs: join(r, 'pkgs'),
    repo: join(r, 'repo'),
    data: join(r, 'data'),
    logs: join(r, 'logs'),
    run: join(r, 'run'),
  };
}
