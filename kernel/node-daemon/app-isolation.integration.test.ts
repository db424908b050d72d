// Issue 7 item 4: an installed app must not read the kernel's secrets or another app's data. A real OOD
// (root, as the headless service and CI run) installs two apps from its repo: notes (the victim, with a
// note in its data) and "snoop", built here, which tries every file an attacker wants and reports, over
// HTTP through the gateway, what it could open. Every attempt must be refused while its own folders work.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { activatedOod, cli, pollUntil, repoRoot, tempDir } from '../testing/harness.js';
import { makePkgFolder } from '../pkg/test-fixtures.js';
import { dataPaths } from '../lib/paths.js';

const isRootOnLinux = process.platform === 'linux' && process.getuid?.() === 0;

const SNOOP_SERVER = String.raw`
import http from 'node:http';
import { openSync, closeSync, readSync, readdirSync, readlinkSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const hint = Number(process.env.BUCKYOS_SERVICE_PORT);
const host = process.env.BUCKYOS_BIND;
const data = process.env.BUCKYOS_DATA_DIR;
const outcome = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code ?? String(e.message); } };
const readSome = (path) => { const fd = openSync(path, 'r'); try { readSync(fd, Buffer.alloc(64), 0, 64, 0); } finally { closeSync(fd); } };

function probe({ read = [], list = [], write = [] }) {
  const out = { read: {}, list: {}, write: {} };
  for (const p of read) out.read[p] = outcome(() => readSome(p));
  for (const p of list) out.list[p] = outcome(() => readdirSync(p));
  for (const p of write) out.write[p] = outcome(() => { writeFileSync(p, 'snoop was here'); rmSync(p); });
  return out;
}

function whoami() {
  const fds = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    try { fds[fd] = readlinkSync('/proc/self/fd/' + fd); } catch (e) { fds[fd] = e.code; }
  }
  const own = join(data, 'files', 'mine.txt');
  writeFileSync(own, 'my own data');
  return {
    uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), fds,
    env: Object.keys(process.env).sort(),
    ownData: readFileSync(own, 'utf8'),
    ownCache: outcome(() => { mkdirSync(join(process.env.BUCKYOS_CACHE_DIR, 'c'), { recursive: true }); writeFileSync(join(process.env.BUCKYOS_CACHE_DIR, 'c', 'x'), 'x'); }),
    ownLogDir: outcome(() => writeFileSync(join(process.env.BUCKYOS_LOG_DIR, 'snoop.log'), 'log line')),
  };
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/health') return res.end('{"ok":true}');
    if (req.url === '/whoami') return res.end(JSON.stringify(whoami()));
    if (req.url === '/probe') return res.end(JSON.stringify(probe(JSON.parse(body))));
    res.statusCode = 404;
    res.end('{}');
  });
});
function listen(p) {
  server.once('error', (e) => (e.code === 'EADDRINUSE' && p < hint + 50 ? listen(p + 1) : process.exit(1)));
  server.listen(p, host, () => {
    writeFileSync(process.env.BUCKYOS_PORT_FILE, String(p));
  });
}
process.on('SIGTERM', () => process.exit(0));
listen(hint);
`;

const work = await tempDir('buckyos-isolation-');
process.env.BUCKYOS_PUBLISHER_KEY = join(work.path, 'publisher_key.pem');
const emptyPkgs = join(work.path, 'no-dev-pkgs');
await mkdir(emptyPkgs);
const { ood, env, dir } = isRootOnLinux
  ? await activatedOod({ args: ['--pkgs', emptyPkgs], env: { BUCKYOS_REPORT_INTERVAL_MS: '1000' } })
  : { ood: undefined, env: {} as Record<string, string>, dir: undefined };
after(async () => {
  await ood?.kill('SIGTERM');
  await Promise.all([dir?.remove(), work.remove()]);
});

const zone = env.BUCKYOS_ZONE;
const logs = () => ood?.log().slice(-3000) ?? '';
const app = (id: string, path: string, init?: RequestInit) => fetch(`${zone}/apps/${id}${path}`, { ...init, signal: AbortSignal.timeout(5000) });

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

test('an installed app can read neither the kernel\'s secrets nor another app\'s data; its own folders work', { skip: !isRootOnLinux && 'app isolation by uid needs Linux and a node running as root' }, async () => {
  const snoopDir = await makePkgFolder(join(work.path, 'snoop'), {
    name: 'snoop', version: '1.0.0', description: 'tries to read what is not its own', author: 'test',
    start: { cmd: ['node', 'server.mjs'] }, health: { path: '/health' },
    exposes: { www: { protocol: 'http' } }, install: { bind: '127.0.0.1', data_mounts: ['files'] },
  }, { 'server.mjs': SNOOP_SERVER });
  for (const [name, folder] of [['notes', join(repoRoot, 'pkgs/notes')], ['snoop', snoopDir]]) {
    const file = join(work.path, `${name}.pkg`);
    const built = await cli(['pkg', 'build', folder, '--out', file], env);
    assert.equal(built.code, 0, built.stderr);
    const published = await cli(['pkg', 'publish', file, '--zone', zone], env);
    assert.equal(published.code, 0, published.stderr);
    const installed = await cli(['app', 'install', name], env);
    assert.equal(installed.code, 0, installed.stderr + logs());
  }
  await pollUntil('notes and snoop answering', async () => {
    const answers = await Promise.all(['notes', 'snoop'].map((id) => app(id, '/health').then((r) => r.ok, () => false)));
    return answers.every(Boolean) || undefined;
  }, { timeoutMs: 20_000, context: logs });
  const added = await app('notes', '/api/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'private', body: 'for alice only' }) });
  assert.equal(added.status, 201);

  const paths = dataPaths(dir!.path);
  const notesData = join(paths.data, 'alice', 'notes');
  const notesFiles = await filesUnder(notesData);
  assert.ok(notesFiles.some((f) => f.endsWith('notes.json')), 'the victim has data to steal');
  const kvFiles = await filesUnder(paths.kv);
  assert.ok(kvFiles.length >= 1, 'the KV log is there to steal');
  const notesLog = (await readdir(join(paths.logs, 'apps'))).filter((n) => n.startsWith('notes') && n.endsWith('.log')).map((n) => join(paths.logs, 'apps', n));
  const [kernelPid, notesPid, snoopPid] = [ood!.child.pid!, await pidOfApp('notes'), await pidOfApp('snoop')];
  assert.ok(notesPid && snoopPid);

  const who = await (await app('snoop', '/whoami')).json() as { uid: number; gid: number; groups: number[]; fds: Record<string, string>; env: string[]; ownData: string; ownCache: string; ownLogDir: string };
  assert.notEqual(who.uid, 0, 'the app does not run as root');
  assert.notEqual(who.uid, process.getuid!());
  assert.deepEqual(who.groups.filter((g) => g !== who.gid), [], 'no supplementary groups');
  assert.equal(who.ownData, 'my own data', 'its own data folder (and data mount) works');
  assert.equal(who.ownCache, 'ok', 'its own cache folder works');
  assert.equal(who.ownLogDir, 'ok', 'its own log folder works');
  const inherited = Object.entries(who.fds).filter(([fd, target]) => Number(fd) > 2 && target.startsWith(dir!.path));
  assert.deepEqual(inherited, [], 'no descriptor of the data folder is inherited');
  assert.deepEqual(who.env.filter((k) => /_TOKEN$/.test(k)), ['ALICE_SNOOP_TOKEN'], 'only its own token');
  assert.ok(!who.env.includes('BUCKYOS_PASSWORD'), 'nothing of the kernel\'s environment beyond the contract');

  const secrets = [
    paths.deviceKey, paths.startConfig, paths.nodeIdentity, paths.appUids, ...kvFiles,
    ...notesFiles, ...notesLog, `/proc/${kernelPid}/environ`, `/proc/${notesPid}/environ`, `/proc/${kernelPid}/mem`,
  ];
  const listings = [paths.etc, paths.kv, paths.data, join(paths.data, 'alice'), notesData, paths.logs, join(paths.logs, 'apps'), paths.run, paths.repo, paths.snapshots, join(paths.cache, 'alice', 'notes')];
  const pkgDir = join(paths.pkgs, 'snoop');
  const writes = [join(paths.data, 'alice', 'planted'), join(notesData, 'planted'), join(paths.etc, 'planted'), join(pkgDir, 'current', 'planted'), join(paths.run, 'planted'), join(paths.root, 'planted')];
  const res = await app('snoop', '/probe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ read: secrets, list: listings, write: writes }) });
  const seen = await res.json() as Record<'read' | 'list' | 'write', Record<string, string>>;
  const refused = new Set(['EACCES', 'EPERM', 'ENOENT']);
  const got = (kind: 'read' | 'list' | 'write') => Object.entries(seen[kind]).filter(([, outcome]) => !refused.has(outcome));
  assert.deepEqual(got('read'), [], 'every secret refused to the app');
  assert.deepEqual(got('list'), [], 'no listing of kernel folders or other apps\' folders');
  assert.deepEqual(got('write'), [], 'nothing planted outside its own folders');
  assert.equal(Object.keys(seen.read).length, secrets.length);

  // The kernel still reads what the app wrote, and the victim's data is untouched.
  assert.equal(await readFile(join(paths.data, 'alice', 'snoop', 'files', 'mine.txt'), 'utf8'), 'my own data');
  assert.match(await readFile(notesFiles.find((f) => f.endsWith('notes.json'))!, 'utf8'), /for alice only/);
  assert.equal((await stat(join(paths.data, 'alice', 'snoop'))).uid, who.uid);
  assert.equal((await stat(join(paths.data, 'alice', 'snoop'))).mode & 0o777, 0o700);
});
