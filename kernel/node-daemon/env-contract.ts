// The environment a started app process gets (spec 60 §7, 30 §7): identity of the zone and device,
// its bootstrap token, its own directories and its start-port hint. The daemon's own environment is
// not passed on beyond what any program needs to run (PATH, HOME, locale, temp dirs).
import type { AppTarget } from './node-config.js';

const PASSED_THROUGH = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TEMP', 'TMP',
  'SystemRoot', 'windir', 'ComSpec', 'PATHEXT', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'NODE_EXTRA_CA_CERTS',
];

/** `<OWNER>_<APPID>_TOKEN`, upper-case with `-` → `_` (upstream's `upper(id).replace("-", "_")`). */
export const appTokenEnvName = (userId: string, appId: string) =>
  `${userId}_${appId}_TOKEN`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

export interface AppEnvInput {
  target: AppTarget;
  token: string;
  zoneConfigJson: string;
  thisDeviceJson: string;
  dataDir: string;
  cacheDir: string;
  logDir: string;
  pkgDir: string;
  bindHost: string;
  hostGateway: string;
  /** env from the package manifest's start.env; the contract variables win over it */
  pkgEnv?: Record<string, string>;
  inherited?: NodeJS.ProcessEnv;
  /** True when the kernel runs inside the desktop app (default: this process is Electron's). */
  inElectron?: boolean;
}

export function appEnv(i: AppEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  const inherited = i.inherited ?? process.env;
  for (const name of PASSED_THROUGH) {
    const v = inherited[name];
    if (v !== undefined) env[name] = v;
  }
  Object.assign(env, i.pkgEnv);
  // In the desktop app an app's "node" is Electron's own binary (resolveCommand): plain Node only with this.
  if (i.inElectron ?? Boolean(process.versions.electron)) env.ELECTRON_RUN_AS_NODE = '1';
  const { target } = i;
  Object.assign(env, {
    BUCKYOS_ZONE_CONFIG: i.zoneConfigJson,
    BUCKYOS_THIS_DEVICE: i.thisDeviceJson,
    app_instance_config: JSON.stringify(target.entry),
    BUCKYOS_APP_ID: target.installationId,
    BUCKYOS_OWNER_USER_ID: target.userId,
    BUCKYOS_DATA_DIR: i.dataDir,
    BUCKYOS_CACHE_DIR: i.cacheDir,
    BUCKYOS_LOG_DIR: i.logDir,
    BUCKYOS_PKG_DIR: i.pkgDir,
    BUCKYOS_SERVICE_PORT: String(target.portHint),
    BUCKYOS_BIND: i.bindHost,
    BUCKYOS_HOST_GATEWAY: i.hostGateway,
    [appTokenEnvName(target.userId, target.installationId)]: i.token,
  });
  return env;
}
