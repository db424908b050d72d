// Issue 7 item 4: an installed app must not read the kernel's secrets or another app's data. A real OOD
// installs two apps from its repo: notes (the victim, with a note in its data) and snoop
// (fixtures/snoop-app), which tries every file an attacker wants, tries to unmount its way out, and
// reports over HTTP, through the gateway, what it could open. Every attempt must be refused while its
// own folders work. Two OODs: one running as root (the headless service; apps get their own uid) and
// one running as a plain user (the desktop app; apps get a namespace sandbox).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { activatedOod, cli, pollUntil, repoRoot, tempDir, type RunAs } from '../testing/harness.js';
import { dataPaths, secureDataFolder, type DataPaths } from '../lib/paths.js';
import { detectAppIsolation } from './app-isolation.js';
import type { KrpcError } from '../lib/errors.js';

const isRootOnLinux = process.platform === 'linux' && process.getuid?.() === 0;
/** The "desktop user" of the second OOD: no passwd entry needed, far from login users and app uids. */
const DESKTOP: RunAs = { uid: 1_900_000_007, gid: 1_900_000_007 };
const namespacesWork = isRootOnLinux
  && spawnSync('unshare', ['--user', '--map-root-user', '--mount', '--pid', '--fork', 'true'], { ...DESKTOP, timeout: 5000 }).status === 0;

const work = await tempDir('buckyos-isolation-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const stops: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const stop of stops.reverse()) await stop();
  await work.remove();
});

interface Who {
  uid: number; gid: number; groups: number[]; fds: Record<string, string>; env: string[];
  ownData: string; ownCache: string; ownLogDir: string; ownPkg: string;
}
type Seen = { read: Record<string, string>; list: Record<string, string | string[]>; write: Record<string, string>; escape: Record<string, string> };

/** The pid of the running app whose BUCKYOS_APP_ID is `id` (we are root: /proc tells us). */
async function pidOfApp(id: string): Promise<number | undefined> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`BUCKYOS_APP_ID=${id}`)) return Number(name);
  }
  return undefined;
}

async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    const p = join(root, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(p)));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** Starts an OOD (as `runAs` when given), installs notes and snoop, and lets snoop try everything. */
async function attack(runAs?: RunAs, homeSecret?: string) {
  const own = await tempDir('buckyos-isolation-own-');
  stops.push(() => own.remove());
  if (runAs) await chown(own.path, runAs.uid, runAs.gid);
  const emptyPkgs = join(own.path, 'no-dev-pkgs');
  await mkdir(emptyPkgs);
  const env: Record<string, string> = { BUCKYOS_REPORT_INTERVAL_MS: '1000' };
  if (homeSecret) {
    env.HOME = join(own.path, 'home');
    await mkdir(join(env.HOME, '.ssh'), { recursive: true });
    await writeFile(homeSecret.replace('~', env.HOME), 'PRIVATE KEY of the desktop user\n');
  }
  if (runAs) for (const p of [emptyPkgs, ...(env.HOME ? [env.HOME, join(env.HOME, '.ssh'), homeSecret!.replace('~', env.HOME)] : [])]) await chown(p, runAs.uid, runAs.gid);
  const { ood, env: zoneEnv, dir } = await activatedOod({ args: ['--pkgs', emptyPkgs], env, runAs });
  stops.push(async () => {
    await ood.kill('SIGTERM');
    await dir.remove();
  });
  const zone = zoneEnv.BUCKYOS_ZONE;
  const logs = () => ood.log().slice(-3000);
  const app = (id: string, path: string, init?: RequestInit) => fetch(`${zone}/apps/${id}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });

  for (const [name, folder] of [['notes', join(repoRoot, 'pkgs/notes')], ['snoop', join(import.meta.dirname, 'fixtures/snoop-app')]]) {
    const file = join(work.path, `${name}.pkg`);
    const built = await cli(['pkg', 'build', folder, '--out', file], zoneEnv);
    assert.equal(built.code, 0, built.stderr);
    const published = await cli(['pkg', 'publish', file, '--zone', zone], zoneEnv);
    assert.equal(published.code, 0, published.stderr);
    const installed = await cli(['app', 'install', name], zoneEnv);
    assert.equal(installed.code, 0, installed.stderr + logs());
  }
  await pollUntil('notes and snoop answering', async () => {
    const answers = await Promise.all(['notes', 'snoop'].map((id) => app(id, '/health').then((r) => r.ok, () => false)));
    return answers.every(Boolean) || undefined;
  }, { timeoutMs: 20_000, context: logs });
  const added = await app('notes', '/api/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'private', body: 'for alice only' }) });
  assert.equal(added.status, 201);

  const paths = dataPaths(dir.path);
  const notesData = join(paths.data, 'alice', 'notes');
  const notesFiles = await filesUnder(notesData);
  assert.ok(notesFiles.some((f) => f.endsWith('notes.json')), 'the victim has data to steal');
  assert.ok((await stat(join(paths.logs, 'kernel.log'))).isFile(), 'the kernel log is there to read');
  const kvFiles = await filesUnder(paths.kv);
  assert.ok(kvFiles.length >= 1, 'the KV log is there to steal');
  const notesLog = (await readdir(join(paths.logs, 'apps'))).filter((n) => n.startsWith('notes') && n.endsWith('.log')).map((n) => join(paths.logs, 'apps', n));
  const [kernelPid, notesPid] = [ood.child.pid!, await pidOfApp('notes')];
  assert.ok(notesPid);

  const who = await (await app('snoop', '/whoami')).json() as Who;
  const pkgDir = join(paths.pkgs, 'snoop');
  const secrets = [
    paths.deviceKey, paths.startConfig, paths.nodeIdentity, paths.appUids, ...kvFiles, join(paths.logs, 'kernel.log'),
    ...notesFiles, ...notesLog, `/proc/${kernelPid}/environ`, `/proc/${notesPid}/environ`, `/proc/${kernelPid}/mem`,
    ...(homeSecret && env.HOME ? [homeSecret.replace('~', env.HOME)] : []),
  ];
  const listings = [paths.root, paths.etc, paths.kv, paths.data, join(paths.data, 'alice'), notesData, paths.logs, join(paths.logs, 'apps'), paths.run, paths.repo, paths.snapshots, join(paths.cache, 'alice'), join(paths.cache, 'alice', 'notes')];
  const writes = [
    join(paths.data, 'alice', 'planted'), join(notesData, 'planted'), join(paths.etc, 'planted'), join(pkgDir, 'current', 'planted'),
    join(paths.run, 'planted'), join(paths.root, 'planted'),
  ];
  const res = await app('snoop', '/probe', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ read: secrets, list: listings, write: writes, escapes: [{ root: paths.root, file: paths.deviceKey }] }),
  });
  const seen = await res.json() as Seen;
  assert.equal(Object.keys(seen.read).length, secrets.length);
  return { paths, who, seen, notesFiles, logs };
}

const REFUSED = new Set(['EACCES', 'EPERM', 'ENOENT', 'EROFS']);

/** Names an app may see when it lists a folder on the way to its own folders (nothing of another app). */
function onOwnPath(paths: DataPaths, listed: string, name: string): boolean {
  const own = ['data/alice/snoop/files', 'cache/alice/snoop', 'logs/apps/snoop@alice@ood1', 'run/snoop@alice@ood1/app', 'pkgs/snoop'];
  const rel = relative(paths.root, join(listed, name)).split(sep).join('/');
  return own.some((o) => o === rel || o.startsWith(`${rel}/`));
}

function assertNothingLeaked(paths: DataPaths, who: Who, seen: Seen): void {
  const got = (kind: 'read' | 'write') => Object.entries(seen[kind]).filter(([, outcome]) => !REFUSED.has(outcome));
  assert.deepEqual(got('read'), [], 'every secret refused to the app');
  assert.deepEqual(got('write'), [], 'nothing planted outside its own folders');
  const listed = Object.entries(seen.list).filter(([dir, r]) => (typeof r === 'string' ? !REFUSED.has(r) : r.some((name) => !onOwnPath(paths, dir, name))));
  assert.deepEqual(listed, [], 'no listing shows a kernel file or another app\'s folder');
  for (const [file, out] of Object.entries(seen.escape)) assert.doesNotMatch(out, /PRIVATE KEY/, `unmounting its way out did not reveal ${file}`);
  assert.equal(who.ownData, 'my own data', 'its own data folder (and data mount) works');
  assert.deepEqual([who.ownCache, who.ownLogDir, who.ownPkg], ['ok', 'ok', 'ok'], 'its own cache and log folders and its package work');
  const inherited = Object.entries(who.fds).filter(([fd, target]) => Number(fd) > 2 && target.startsWith(paths.root));
  assert.deepEqual(inherited, [], 'no descriptor of the data folder is inherited');
  assert.deepEqual(who.env.filter((k) => /_TOKEN$/.test(k)), ['ALICE_SNOOP_TOKEN'], 'only its own token');
  assert.ok(!who.env.includes('BUCKYOS_PASSWORD'), 'nothing of the kernel\'s environment beyond the contract');
}

test('node as root: each app runs under its own uid and reads neither kernel secrets nor another app\'s data', { skip: !isRootOnLinux && 'app isolation by uid needs Linux and a node running as root' }, async () => {
  const { paths, who, seen, notesFiles } = await attack();
  assert.notEqual(who.uid, 0, 'the app does not run as root');
  assert.ok(who.uid >= 1_000_000_000 && who.uid === who.gid);
  assert.deepEqual(who.groups.filter((g) => g !== who.gid), [], 'no supplementary groups');
  assertNothingLeaked(paths, who, seen);
  assert.ok(Object.values(seen.read).every((o) => o === 'EACCES' || o === 'ENOENT'));
  // The kernel still reads what the app wrote, and the victim's data is untouched.
  assert.equal(await readFile(join(paths.data, 'alice', 'snoop', 'files', 'mine.txt'), 'utf8'), 'my own data');
  assert.match(await readFile(notesFiles.find((f) => f.endsWith('notes.json'))!, 'utf8'), /for alice only/);
  const ownDir = await stat(join(paths.data, 'alice', 'snoop'));
  assert.deepEqual([ownDir.uid, ownDir.mode & 0o777], [who.uid, 0o700]);
  for (const [dir, mode] of [[paths.root, 0o711], [paths.etc, 0o700], [paths.kv, 0o700], [paths.data, 0o711], [paths.logs, 0o711]] as const)
    assert.equal((await stat(dir)).mode & 0o777, mode, `${dir} is ${mode.toString(8)}`);
  assert.equal((await stat(paths.deviceKey)).mode & 0o777, 0o600);
});

test('node as a desktop user: each app runs in a namespace sandbox that hides the data folder, home and other processes', { skip: !namespacesWork && 'needs Linux, root (to start a non-root OOD) and unprivileged user namespaces' }, async () => {
  const { paths, who, seen, logs } = await attack(DESKTOP, '~/.ssh/id_ed25519');
  assert.equal(who.uid, DESKTOP.uid, 'it runs as the desktop user, as the node does');
  assertNothingLeaked(paths, who, seen);
  const appLog = await readFile(join(paths.logs, 'apps', 'snoop@alice@ood1.log'), 'utf8');
  assert.match(appLog, /started pid \d+ \(isolation user-namespace\): /, logs());
  assert.equal(await readFile(join(paths.data, 'alice', 'snoop', 'files', 'mine.txt'), 'utf8'), 'my own data');
});

test('os-user: uids are kept across restarts; folders of an older version are handed over without following links; strays are stopped', { skip: !isRootOnLinux && 'needs Linux and root' }, async () => {
  const paths = dataPaths(join(work.path, 'older-node'));
  await secureDataFolder(paths);
  // An app folder as older versions left it: the kernel's, 0755, with a link out of the folder.
  const dataDir = join(paths.data, 'alice', 'notes');
  await mkdir(join(dataDir, 'sub'), { recursive: true, mode: 0o755 });
  await writeFile(join(dataDir, 'sub', 'note.txt'), 'old note');
  const outside = join(work.path, 'outside.txt');
  await writeFile(outside, 'not the app\'s');
  await symlink(outside, join(dataDir, 'link'));
  const folders = {
    dataDir, cacheDir: join(paths.cache, 'alice', 'notes'), logDir: join(paths.logs, 'apps', 'notes@alice@n1'),
    workDir: join(paths.run, 'notes@alice@n1', 'app'), dataMounts: ['files/deep'],
  };
  const pkgDir = join(repoRoot, 'pkgs/notes');

  const isolation = await detectAppIsolation(paths);
  assert.equal(isolation.kind, 'os-user');
  const owner = (await isolation.ownerOf('alice', 'notes'))!;
  const other = (await isolation.ownerOf('alice', 'filedrop'))!;
  assert.notEqual(owner.uid, other.uid);
  assert.equal((await stat(paths.appUids)).mode & 0o777, 0o600);
  assert.deepEqual(await (await detectAppIsolation(paths)).ownerOf('alice', 'notes'), owner, 'a restart keeps the uid');

  const stray = spawn('sleep', ['300'], { ...owner, detached: true, stdio: 'ignore' });
  stray.unref();
  await pollUntil('the stray runs', async () => (stray.pid && (await readFile(`/proc/${stray.pid}/status`, 'utf8').catch(() => '')).includes(`${owner.uid}`)) || undefined, { timeoutMs: 5000 });
  await isolation.stopStrays(owner);
  const gone = await new Promise<boolean>((r) => (stray.exitCode !== null || stray.signalCode !== null ? r(true) : stray.once('exit', () => r(true))));
  assert.ok(gone, 'a process of the app\'s uid outside its process group is stopped before the kernel touches its files');

  await assert.rejects(isolation.prepareFolders(owner, folders, pkgDir), (e: KrpcError) => /^FAILED_PRECONDITION: .*cannot reach its data folder .*needs o\+x/.test(e.toWire()),
    'a data folder below a folder others may not search is refused before anything is handed over');
  assert.equal((await stat(dataDir)).uid, 0);
  await chmod(work.path, 0o711);
  await isolation.prepareFolders(owner, folders, pkgDir);
  for (const p of [dataDir, join(dataDir, 'sub'), join(dataDir, 'sub', 'note.txt'), join(dataDir, 'files', 'deep'), folders.cacheDir, folders.logDir, folders.workDir])
    assert.equal((await lstat(p)).uid, owner.uid, `${p} is the app's`);
  assert.equal((await lstat(join(dataDir, 'link'))).uid, owner.uid, 'the link itself is handed over');
  assert.equal((await stat(outside)).uid, 0, 'what the link points at is not');
  assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(paths.run, 'notes@alice@n1'))).uid, 0, 'the pid record folder stays the kernel\'s');
});
