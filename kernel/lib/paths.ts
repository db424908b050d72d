// The data folder of one node (--data). Everything a node needs to restart lives here and nothing
// outside it is touched: identity (etc/), the KV store (kv/), packages (pkgs/), app data (data/), logs.
// secureDataFolder gives every folder the mode that keeps kernel secrets from the apps the node runs.
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve, win32 } from 'node:path';

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
  /** The OOD's enrolment key and the owner's delegation over it (issue 11, kernel/devices/delegation.ts). */
  enrolmentKey: string;
  enrolmentDelegation: string;
  /** which OS user id each app runs as, where the node gives apps their own (node-daemon/app-isolation.ts) */
  appUids: string;
  kv: string;
  pkgs: string;
  repo: string;
  data: string;
  cache: string;
  snapshots: string;
  logs: string;
  run: string;
}

/**
 * The node's data folder when --data is not given; the CLI and the desktop app both use it, so on one
 * machine they run the same zone. BUCKYOS_DATA wins; then ~/.buckyos if a node already lives there
 * (where versions before the desktop app kept it); else the platform's application-data folder, which
 * an app update or reinstall never touches: %LOCALAPPDATA%\BuckyOS on Windows (machine-local, not
 * roaming: the KV store and packages must not sync between PCs), ~/Library/Application Support/BuckyOS
 * on macOS, $XDG_DATA_HOME/buckyos (~/.local/share/buckyos) elsewhere.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir(), exists: (p: string) => boolean = existsSync,
): string {
  if (env.BUCKYOS_DATA) return env.BUCKYOS_DATA;
  const legacy = join(home, '.buckyos');
  if (exists(join(legacy, 'etc'))) return legacy;
  if (platform === 'win32') return win32.join(env.LOCALAPPDATA || win32.join(home, 'AppData', 'Local'), 'BuckyOS');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'BuckyOS');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'buckyos');
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
    enrolmentKey: join(etc, 'enrolment_key.pem'),
    enrolmentDelegation: join(etc, 'enrolment_delegation.jwt'),
    appUids: join(etc, 'app_uids.json'),
    kv: join(r, 'kv'),
    pkgs: join(r, 'pkgs'),
    repo: join(r, 'repo'),
    data: join(r, 'data'),
    cache: join(r, 'cache'),
    snapshots: join(r, 'snapshots'),
    logs: join(r, 'logs'),
    run: join(r, 'run'),
  };
}

/**
 * Folder modes. Kernel state (identity and keys, KV, the repo's store, data snapshots) is the kernel's
 * alone; apps may only pass through the root, data/, cache/, run/ and logs/ to their own folder below
 * them (0711: search, no listing); installed packages are readable by all and writable by the kernel.
 */
const KERNEL_ONLY = 0o700;
const PASS_THROUGH = 0o711;
const READABLE = 0o755;
const KERNEL_FILE = 0o600;

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    if (isMissing(e)) return [];
    throw e;
  }
}

/** chmod without following a link (a link is left alone: its target is not ours to change). */
async function setMode(path: string, mode: (isDir: boolean) => number | undefined): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (isMissing(e)) return;
    throw e;
  }
  if (st.isSymbolicLink()) return;
  const want = mode(st.isDirectory());
  if (want !== undefined && (st.mode & 0o7777) !== want) await chmod(path, want);
}

async function folder(path: string, mode: number): Promise<void> {
  await mkdir(path, { recursive: true, mode });
  await setMode(path, () => mode);
}

/**
 * Creates the data folder's top folders with their modes and fixes the modes of what older versions
 * left (0755 folders, 0644 files), so an app cannot read the kernel's secrets or another app's data.
 * Idempotent and cheap; the per-app folders get their owner from node-daemon when the app starts.
 */
export async function secureDataFolder(paths: DataPaths): Promise<void> {
  if (process.platform === 'win32') {
    await Promise.all([paths.etc, paths.kv, paths.pkgs, paths.data, paths.logs, paths.run].map((d) => mkdir(d, { recursive: true })));
    return;
  }
  await folder(paths.root, PASS_THROUGH);
  for (const d of [paths.etc, paths.kv, paths.repo, paths.snapshots]) await folder(d, KERNEL_ONLY);
  await folder(paths.pkgs, READABLE);
  for (const d of [paths.data, paths.cache, paths.run, paths.logs]) await folder(d, PASS_THROUGH);
  // Everything in etc/ and kv/ is for the kernel only, whatever mode an older version gave it.
  for (const d of [paths.etc, paths.kv]) {
    for (const name of await entries(d)) await setMode(join(d, name), (isDir) => (isDir ? KERNEL_ONLY : KERNEL_FILE));
  }
  // data/<user>/ and cache/<user>/ are passed through; each app's folder below is its own (0700).
  for (const top of [paths.data, paths.cache]) {
    for (const user of await entries(top)) {
      const userDir = join(top, user);
      await setMode(userDir, (isDir) => (isDir ? PASS_THROUGH : undefined));
      for (const app of await entries(userDir)) await setMode(join(userDir, app), (isDir) => (isDir ? KERNEL_ONLY : undefined));
    }
  }
  // logs/: the kernel's log files are its own; logs/apps/<instance>/ is the app's folder (0700).
  for (const name of await entries(paths.logs)) {
    const path = join(paths.logs, name);
    await setMode(path, (isDir) => (isDir ? PASS_THROUGH : KERNEL_FILE));
    if (name !== 'apps') continue;
    for (const inApps of await entries(path)) await setMode(join(path, inApps), (isDir) => (isDir ? KERNEL_ONLY : KERNEL_FILE));
  }
  // run/<instance>/ holds the kernel's pid record (0600) and the app's own working folder.
  for (const name of await entries(paths.run)) {
    const path = join(paths.run, name);
    await setMode(path, (isDir) => (isDir ? PASS_THROUGH : KERNEL_FILE));
    for (const inRun of await entries(path)) {
      const p = join(path, inRun);
      await setMode(p, (isDir) => (isDir ? undefined : KERNEL_FILE));
    }
  }
}
