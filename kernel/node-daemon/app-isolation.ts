// How an app process is kept away from the kernel's secrets and from other apps' data (issue 7,
// docs/security.md "App isolation"). One interface, the implementation picked at daemon start:
//   os-user  Linux, daemon running as root: every app gets its own unprivileged uid/gid (allocated once
//            per node, kept in etc/app_uids.json), no supplementary groups, its folders owned by it (0700);
//            everything else of the data folder is the kernel's (lib/paths.ts secureDataFolder).
//   user-namespace  Linux, daemon running as a normal user (the desktop app) where unprivileged user
//            namespaces work: the app runs in its own user, mount and pid namespaces (util-linux
//            `unshare`), where the data folder, the user's home, $XDG_RUNTIME_DIR and /tmp are empty
//            tmpfs mounts and only its own folders (and its package, read-only) are bound back; it sees
//            no other process and, as an unprivileged user inside, cannot unmount any of it.
//   none     anywhere else: the app runs as the daemon's own user; folder modes still apply, but they
//            do not stop a process of the same user. Said once in the log and in every app's start line.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { lchown, lstat, mkdir, readFile, readdir, chmod } from 'node:fs/promises';
import { delimiter, dirname, join, relative, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../lib/errors.js';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import type { DataPaths } from '../lib/paths.js';
import { oneAtATime } from '../lib/one-at-a-time.js';

export type IsolationKind = 'os-user' | 'user-namespace' | 'none';

/** The OS identity an app process runs as. */
export interface AppOwner {
  uid: number;
  gid: number;
}

/** The folders an app may write, all below a folder of the kernel's (so it cannot swap them for links). */
export interface AppFolders {
  dataDir: string;
  cacheDir: string;
  logDir: string;
  /** its working folder, where it writes its port file */
  workDir: string;
  /** data_mounts of the manifest, relative to dataDir */
  dataMounts: string[];
}

export interface AppIsolation {
  readonly kind: IsolationKind;
  /** one line for the log: what apps get here and why */
  readonly detail: string;
  /** The identity app `<userId>/<installationId>` runs as (undefined: the daemon's own). */
  ownerOf(userId: string, installationId: string): Promise<AppOwner | undefined>;
  /**
   * Ends every process still running as `owner` (one that left its process group survives the group's
   * SIGKILL), so nothing of the app races the kernel while it copies, restores or hands over its files.
   */
  stopStrays(owner: AppOwner | undefined): Promise<void>;
  /** Creates the app's folders and makes them the app's own; refuses a layout the app could not reach. */
  prepareFolders(owner: AppOwner | undefined, folders: AppFolders, pkgDir: string): Promise<void>;
  /** Environment entries that differ under this isolation (undefined: not passed at all). */
  envOverrides(folders: AppFolders): Record<string, string | undefined>;
  /** The argv to spawn for the app's own `argv` (a sandbox launcher in front, or unchanged). */
  wrap(argv: string[], folders: AppFolders, pkgDir: string): string[];
}

const APP_DIR_MODE = 0o700;
const PASS_THROUGH = 0o711;

/**
 * App uids come from a block of BLOCK ids per data folder, placed by a hash of its path in
 * [REGION_START, REGION_START + REGION_BLOCKS·BLOCK): far above login users (1000–60000), systemd's
 * dynamic users (61184–65519) and the usual container ranges (65536+·n, nspawn's 524288+ blocks are
 * few), below 2^31 for tools that keep ids signed; several nodes on one machine get different blocks.
 */
const REGION_START = 1_000_000_000;
const BLOCK = 4096;
const REGION_BLOCKS = 200_000;

interface AppUidTable {
  schema: 'buckyos.app_uids.v1';
  base: number;
  /** `<user>/<installation>` → uid (gid is the same number) */
  apps: Record<string, number>;
}

function blockBaseFor(root: string): number {
  const h = createHash('sha256').update(root).digest().readUInt32BE(0);
  return REGION_START + (h % REGION_BLOCKS) * BLOCK;
}

/** Whether [first, first+count) is mapped in this process's user namespace (/proc/self/{uid,gid}_map). */
async function idsMapped(first: number, count: number): Promise<boolean> {
  for (const file of ['/proc/self/uid_map', '/proc/self/gid_map']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const covered = text.trim().split('\n').some((line) => {
      const [inside, , length] = line.trim().split(/\s+/).map(Number);
      return inside <= first && first + count <= inside + length;
    });
    if (!covered) return false;
  }
  return true;
}

async function loadTable(path: string, root: string): Promise<AppUidTable> {
  try {
    const t = JSON.parse(await readFile(path, 'utf8')) as AppUidTable;
    if (t.schema === 'buckyos.app_uids.v1' && Number.isInteger(t.base) && t.apps && typeof t.apps === 'object') return t;
    throw new KrpcError('INTEGRITY', `${path} is not an app uid table; move it away to start over (apps' folders are handed over again)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    return { schema: 'buckyos.app_uids.v1', base: blockBaseFor(root), apps: {} };
  }
}

/** Uids of the processes running now, by pid (Linux /proc: real, effective, saved and fs uid). */
async function processesOfUid(uid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '');
    const uids = /^Uid:\s+(.*)$/m.exec(status)?.[1]?.split(/\s+/).map(Number) ?? [];
    if (uids.includes(uid)) pids.push(Number(name));
  }
  return pids;
}

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** lchown of a whole tree, children first, never following a link. */
async function chownTree(path: string, owner: AppOwner): Promise<void> {
  const st = await lstat(path);
  if (st.isDirectory()) for (const name of await readdir(path)) await chownTree(join(path, name), owner);
  if (st.uid !== owner.uid || st.gid !== owner.gid) await lchown(path, owner.uid, owner.gid);
}

/** A folder of the kernel's that apps pass through: created if missing, a real folder, 0711. */
async function passThroughFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: PASS_THROUGH });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new KrpcError('FAILED_PRECONDITION', `${path} is not a folder; move it away`);
  if ((st.mode & 0o7777) !== PASS_THROUGH) await chmod(path, PASS_THROUGH);
}

/**
 * An app's own folder: a real folder (never a link), 0700, owned by the app. Its parent is the kernel's,
 * so the app cannot swap it; a tree that is not the app's yet (made by an older version, or put back by a
 * data snapshot restore) is handed over whole. Runs only while no process of the app lives (stopStrays).
 */
async function appFolder(path: string, owner: AppOwner | undefined): Promise<void> {
  await mkdir(path, { mode: APP_DIR_MODE }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const st = await lstat(path);
  if (!st.isDirectory()) throw new KrpcError('FAILED_PRECONDITION', `${path} is not a folder; move it away`);
  if (owner && (st.uid !== owner.uid || st.gid !== owner.gid)) await chownTree(path, owner);
  if ((st.mode & 0o7777) !== APP_DIR_MODE) await chmod(path, APP_DIR_MODE);
}

/** The data mounts inside the app's data folder, created component by component without following links. */
async function mountFolders(dataDir: string, mounts: string[], owner: AppOwner | undefined): Promise<void> {
  for (const m of mounts) {
    const rel = relative(dataDir, join(dataDir, m));
    if (!rel || rel.startsWith('..')) continue;
    let at = dataDir;
    for (const part of rel.split(sep)) {
      at = join(at, part);
      try {
        const st = await lstat(at);
        if (!st.isDirectory()) throw new KrpcError('FAILED_PRECONDITION', `data mount ${m}: ${at} is not a folder; the app left something else there`);
        continue;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      await mkdir(at, { mode: 0o755 });
      if (owner) await lchown(at, owner.uid, owner.gid);
    }
  }
}

/** Every folder from / down to `path` (its parent, or itself with `self`) must let others search it. */
async function assertReachableByOthers(path: string, what: string, self = false): Promise<void> {
  for (let dir = self ? path : dirname(path), prev = ''; dir !== prev; prev = dir, dir = dirname(dir)) {
    const st = await lstat(dir);
    if (!(st.mode & 0o001))
      throw new KrpcError('FAILED_PRECONDITION',
        `apps run under their own user id and cannot reach ${what} ${path}: ${dir} is mode ${(st.mode & 0o777).toString(8)} (needs o+x); put it under a folder others may search (e.g. /var/lib/buckyos) or chmod o+x ${dir}`);
  }
}

class OsUserIsolation implements AppIsolation {
  readonly kind = 'os-user' as const;
  readonly detail = 'each app runs under its own unprivileged uid/gid with no supplementary groups; only its own folders are writable to it, the kernel\'s are 0700';
  private readonly serial = oneAtATime();

  constructor(private readonly paths: DataPaths) {}

  ownerOf(userId: string, installationId: string): Promise<AppOwner> {
    const key = `${userId}/${installationId}`;
    return this.serial(async () => {
      const table = await loadTable(this.paths.appUids, this.paths.root);
      let uid = table.apps[key];
      if (uid === undefined) {
        const used = new Set(Object.values(table.apps));
        uid = table.base;
        while (used.has(uid)) uid++;
        if (uid >= table.base + BLOCK) throw new KrpcError('FAILED_PRECONDITION', `all ${BLOCK} app user ids of this node are taken (${this.paths.appUids})`);
        if (!(await idsMapped(table.base, BLOCK)))
          throw new KrpcError('FAILED_PRECONDITION', `app user ids ${table.base}–${table.base + BLOCK - 1} are not mapped in this user namespace (/proc/self/uid_map); run the node where they are, or not as root`);
        table.apps[key] = uid;
        await writeFileAtomic(this.paths.appUids, JSON.stringify(table, null, 2) + '\n', 0o600);
      }
      return { uid, gid: uid };
    });
  }

  async stopStrays(owner: AppOwner | undefined): Promise<void> {
    if (!owner) return;
    for (let round = 0; round < 50; round++) {
      const pids = await processesOfUid(owner.uid);
      if (pids.length === 0) return;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(20);
    }
    throw new KrpcError('UNAVAILABLE', `processes of uid ${owner.uid} do not go away; the app is not started while they run`);
  }

  async prepareFolders(owner: AppOwner | undefined, f: AppFolders, pkgDir: string): Promise<void> {
    await assertReachableByOthers(this.paths.root, 'its data folder');
    await assertReachableByOthers(pkgDir, 'its package folder', true);
    for (const dir of [f.dataDir, f.cacheDir, f.logDir, f.workDir]) await passThroughFolder(dirname(dir));
    for (const dir of [f.dataDir, f.cacheDir, f.logDir, f.workDir]) await appFolder(dir, owner);
    await mountFolders(f.dataDir, f.dataMounts, owner);
  }

  envOverrides(f: AppFolders): Record<string, string | undefined> {
    // The daemon's HOME and user name (root's) are not the app's; its cache folder is a home it may write.
    return { HOME: f.cacheDir, USER: undefined, LOGNAME: undefined };
  }

  wrap(argv: string[]): string[] {
    return argv;
  }
}

/** Apps run as the daemon's user; only their folders are made (and the modes of secureDataFolder apply). */
class SameUser {
  async ownerOf(): Promise<undefined> {
    return undefined;
  }
  async stopStrays(): Promise<void> {}
  async prepareFolders(_owner: AppOwner | undefined, f: AppFolders): Promise<void> {
    for (const dir of [f.dataDir, f.cacheDir, f.logDir, f.workDir]) await passThroughFolder(dirname(dir));
    for (const dir of [f.dataDir, f.cacheDir, f.logDir, f.workDir]) await appFolder(dir, undefined);
    await mountFolders(f.dataDir, f.dataMounts, undefined);
  }
}

class NoIsolation extends SameUser implements AppIsolation {
  readonly kind = 'none' as const;
  constructor(readonly detail: string) {
    super();
  }
  envOverrides(): Record<string, string | undefined> {
    return {};
  }
  wrap(argv: string[]): string[] {
    return argv;
  }
}

/** What the sandbox launcher hides and binds back. */
interface SandboxLayout {
  /** become empty tmpfs mounts (read-only, except /tmp which is the app's private, writable one) */
  hide: string[];
  /** bound back at the same path, writable */
  bindRw: string[];
  /** bound back at the same path, read-only */
  bindRo: string[];
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The launcher: outer `unshare` makes a user namespace where we are root (mapped to our own uid), a
 * mount and a pid namespace with its own /proc; the script opens the folders to bind back, covers the
 * hidden paths with tmpfs, binds the folders back through /proc/self/fd (the paths are covered by
 * then; --no-canonicalize keeps mount from resolving the link to the covered path), makes the covers
 * read-only, and starts the app through an inner `unshare` into a child user namespace where it is our
 * plain uid again: no capability over these mounts (they are locked to it), and when the app ends the
 * pid namespace ends with everything it started.
 */
function sandboxArgv(tools: { unshare: string; mount: string }, layout: SandboxLayout, argv: string[]): string[] {
  const uid = process.getuid!();
  const gid = process.getgid!();
  const binds = [...layout.bindRw.map((p) => ({ p, ro: false })), ...layout.bindRo.map((p) => ({ p, ro: true }))];
  if (binds.length > 6) throw new KrpcError('INTERNAL', 'too many folders to bind into the app sandbox');
  const hide = [...new Set(layout.hide)].sort((a, b) => a.length - b.length);
  const m = shQuote(tools.mount);
  const lines = ['set -e'];
  binds.forEach(({ p }, i) => lines.push(`exec ${i + 3}< ${shQuote(p)}`));
  for (const h of hide) {
    const opts = h === '/tmp' ? 'mode=1777' : 'mode=0755,size=64k';
    lines.push(`mkdir -p ${shQuote(h)}`, `${m} -t tmpfs -o ${opts} buckyos-sandbox ${shQuote(h)}`);
  }
  binds.forEach(({ p, ro }, i) => {
    lines.push(`mkdir -p ${shQuote(p)}`, `${m} --no-canonicalize --bind /proc/self/fd/${i + 3} ${shQuote(p)}`);
    if (ro) lines.push(`${m} --no-canonicalize -o remount,bind,ro ${shQuote(p)}`);
    lines.push(`exec ${i + 3}<&-`);
  });
  for (const h of hide) if (h !== '/tmp') lines.push(`${m} --no-canonicalize -o remount,bind,ro ${shQuote(h)}`);
  lines.push(`exec ${shQuote(tools.unshare)} --user --map-user=${uid} --map-group=${gid} --fork --kill-child -- "$@"`);
  return [
    tools.unshare, '--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc',
    '/bin/sh', '-c', lines.join('\n'), 'buckyos-sandbox', ...argv,
  ];
}

function findOnPath(name: string): string | undefined {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin', ...(process.env.PATH ?? '').split(delimiter)]) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const isDir = (p: string | undefined): p is string => !!p && p !== '/' && existsSync(p) && statSync(p).isDirectory();
const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith(sep) ? dir : dir + sep);

class NamespaceIsolation extends SameUser implements AppIsolation {
  readonly kind = 'user-namespace' as const;
  readonly detail = 'each app runs in its own user, mount and pid namespaces: the data folder, home, runtime dir and /tmp are hidden, only its own folders and (read-only) its package are bound back; it runs as the node\'s own user otherwise';

  constructor(private readonly paths: DataPaths, private readonly tools: { unshare: string; mount: string }) {
    super();
  }

  /** What every app's sandbox hides: the data folder, the user's home and runtime folder, /tmp. */
  hidden(): string[] {
    return [this.paths.root, process.env.HOME, process.env.XDG_RUNTIME_DIR, '/tmp'].filter(isDir);
  }

  envOverrides(f: AppFolders): Record<string, string | undefined> {
    // The real home and temp folder are hidden; the cache folder is a home it may write.
    return { HOME: f.cacheDir, TMPDIR: '/tmp', TEMP: undefined, TMP: undefined };
  }

  wrap(argv: string[], f: AppFolders, pkgDir: string): string[] {
    const hide = this.hidden();
    const bindRo = [pkgDir];
    // The node binary (and its install prefix) must stay reachable when it lives in a hidden folder.
    const exe = argv[0] ? realpathOr(argv[0]) : undefined;
    if (exe && hide.some((h) => isUnder(exe, h))) bindRo.push(dirname(dirname(exe)));
    return sandboxArgv(this.tools, { hide, bindRw: [f.dataDir, f.cacheDir, f.logDir, f.workDir], bindRo }, argv);
  }
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function runs(argv: string[], timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, windowsHide: true }, (err, _out, stderr) =>
      resolve(err ? (stderr.trim().split('\n').pop() || err.message) : undefined));
  });
}

/** The isolation this node can give its apps, decided once at daemon start (a trial run for namespaces). */
export async function detectAppIsolation(paths: DataPaths): Promise<AppIsolation> {
  if (process.platform === 'linux' && process.getuid?.() === 0) return new OsUserIsolation(paths);
  if (process.platform !== 'linux') return new NoIsolation(`apps run as the node's own user (no app sandbox on ${process.platform} yet); they can read what that user can read`);
  const tools = { unshare: findOnPath('unshare'), mount: findOnPath('mount') };
  if (!tools.unshare || !tools.mount) return new NoIsolation('apps run as the node\'s own user: no `unshare`/`mount` (util-linux) for a namespace sandbox; they can read what that user can read');
  const ns = new NamespaceIsolation(paths, { unshare: tools.unshare, mount: tools.mount });
  const probeDir = join(paths.run, '.sandbox-probe');
  await mkdir(probeDir, { recursive: true });
  const failure = await runs(ns.wrap([process.execPath, '-e', ''], { dataDir: probeDir, cacheDir: probeDir, logDir: probeDir, workDir: probeDir, dataMounts: [] }, probeDir), 10_000);
  if (failure === undefined) return ns;
  return new NoIsolation(`apps run as the node's own user: the namespace sandbox does not work here (${failure}; unprivileged user namespaces may be disabled, e.g. kernel.unprivileged_userns_clone=0 or AppArmor's restriction); they can read what that user can read`);
}
