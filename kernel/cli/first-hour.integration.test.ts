// The first hour with the command line (issue 15): each place a newcomer tripped over, run as a user
// runs it (bin/buckyos.js against one real OOD, shared by the cases) and judged by the words printed
// and the exit code. The tests run in order: the first ones activate the OOD the others use.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import semver from 'semver';
import { generateMnemonic } from '../lib/identity/mnemonic.js';
import {
  cli, pollUntil, portIsOpen, randomLoopback, repoRoot, spawnNode, spawnOod, stopWithApps, tempDir, TEST_PASSWORD, waitForPort, type NodeProcess,
} from '../testing/harness.js';


const dir = await tempDir('buckyos-first-hour-');
const host = randomLoopback();
const ood = spawnOod(dir.path, host);
const others: NodeProcess[] = [];
after(async () => {
  for (const p of [...others, ood]) await stopWithApps(p);
  await dir.remove();
});
let mnemonic = '';
const env = { BUCKYOS_ZONE: `http://${host}:3180`, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };

/**
 * Every address the OOD printed must answer something a person can use: one offered to a browser
 * (control panel, "in a browser") a 2xx HTML page, any other a 2xx answer; an address inside a command
 * to type (`buckyos …`, `export …`) at least an open port. Placeholders (`<app>`) are not addresses.
 */
async function checkPrintedAddresses(printed: string): Promise<number> {
  let checked = 0;
  for (const line of printed.split('\n')) {
    for (const [url] of line.matchAll(/https?:\/\/[^\s;,)]+/g)) {
      if (url.includes('<')) continue;
      const u = new URL(url);
      checked++;
      if (/^\s*(buckyos|export) /.test(line)) {
        assert.ok(await portIsOpen(u.hostname, Number(u.port)), `printed command names ${url}, which is not open: ${line}`);
        continue;
      }
      const res = await fetch(url);
      const type = res.headers.get('content-type') ?? '';
      const body = await res.text();
      assert.ok(res.ok, `printed ${url} answers HTTP ${res.status} (${body.slice(0, 80)}): ${line}`);
      if (/control panel|browser/i.test(line)) assert.match(type, /^text\/html/, `printed ${url} as a page, but it answers ${type}: ${line}`);
    }
  }
  return checked;
}

test('item 1: an unactivated OOD tells how to activate it, and every address it prints answers', async () => {
  await waitForPort(host, 3182);
  const printed = await pollUntil('the not-activated message', async () => (/Data folder/.test(ood.stdout()) ? ood.stdout() : undefined), { timeoutMs: 30_000, context: ood.log });
  assert.match(printed, /not activated yet/);
  assert.match(printed, new RegExp(`buckyos activate --device http://${host.replace(/\./g, '\\.')}:3182 `));
  assert.ok(await checkPrintedAddresses(printed) >= 1);
});

test('item 1: once activated, the OOD prints only addresses that answer', async () => {
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'testzone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.stderr);
  assert.match(act.stdout, /recovery words/);
  mnemonic = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(act.stdout)?.[1] ?? '';
  const printed = await pollUntil('the running message', async () => (/OOD running/.test(ood.stdout()) ? ood.stdout().slice(ood.stdout().indexOf('OOD running')) : undefined),
    { timeoutMs: 60_000, context: ood.log });
  await pollUntil('the full running message', async () => (/Data folder/.test(printed) ? true : undefined), { timeoutMs: 5_000 });
  assert.match(printed, /OOD running \(zone testzone, device ood1\)/);
  assert.match(printed, new RegExp(`BUCKYOS_ZONE=http://${host.replace(/\./g, '\\.')}:3180`));
  assert.ok(await checkPrintedAddresses(printed) >= 2);
  assert.doesNotMatch(printed, /Control panel and API/, 'the old promise of a panel that is not there');
});

test('item 4: activating an activated OOD again says what it already is', async () => {
  assert.equal(await portIsOpen(host, 3182), false);
  const again = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'other', '--owner', 'mallory', '--password', 'Mallory-pw-1']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ALREADY_ACTIVATED: this device is already activated as the OOD of testzone/);
  assert.doesNotMatch(again.stderr, /Start it with/);
  assert.equal(again.stdout, '', 'no recovery words for a refused activation');
});

test('item 5: a second OOD on the same host is refused before activation, naming who holds the port', async () => {
  const second = await tempDir('buckyos-first-hour-2-');
  after(second.remove);
  const ood2 = spawnOod(second.path, host);
  others.push(ood2);
  await waitForPort(host, 3182);
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'second', '--owner', 'carol', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 1, act.stdout);
  assert.match(act.stderr, new RegExp(`FAILED_PRECONDITION: this device cannot become an OOD here: ${host.replace(/\./g, '\\.')}:3180 \\(gateway\\)[^;]* (is|are) in use by pid ${ood.child.pid} \\([^)]*buckyos\\.js ood`));
  assert.equal(act.stdout, '', 'no recovery words for a refused activation');
  assert.equal(existsSync(join(second.path, 'etc', 'node_identity.json')), false, 'the refused device got an identity');
  assert.equal(ood2.child.exitCode, null, 'the second OOD keeps waiting for an activation it can accept');
});

test('item 5: an activated OOD started while its ports are taken says which process holds them, and exits 1', async () => {
  const again = await cli(['ood', '--data', dir.path, '--host', host]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, new RegExp(`error: (the OOD could not start: )?FAILED_PRECONDITION: the OOD cannot start: ${host.replace(/\./g, '\\.')}:3180 \\(gateway\\)[^;]* (is|are) in use by pid ${ood.child.pid} `));
  assert.doesNotMatch(again.stderr, /EADDRINUSE/);
  assert.ok(await portIsOpen(host, 3180), 'the running OOD is untouched');
});

const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs `buckyos ARGS` on a pseudo-terminal (util-linux `script`) until `until` matches what it printed. */
async function onTerminal(args: string[], until: RegExp): Promise<string> {
  const command = [process.execPath, join(repoRoot, 'bin', 'buckyos.js'), ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    return await pollUntil(`${until} on the terminal`, async () => (until.test(out) ? out : undefined), { timeoutMs: 30_000, context: () => out });
  } finally {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }
}

test('item 2: at a terminal the kernel logs human lines; --log-format json and a pipe give JSON lines', { skip: !hasScript && 'needs util-linux script for a terminal' }, async () => {
  const d = await tempDir('buckyos-first-hour-tty-');
  after(d.remove);
  const h = randomLoopback();
  const human = await onTerminal(['ood', '--data', d.path, '--host', h], /activation server listening[^\n]*\n/);
  assert.match(human, new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  ood/activation  activation server listening  host=${h.replace(/\./g, '\\.')} port=3182\\r?$`, 'm'));
  assert.doesNotMatch(human, /^\{"t":/m, 'no JSON lines at a terminal');
  const json = await onTerminal(['ood', '--data', d.path, '--host', h, '--log-format', 'json'], /activation server listening[^\n]*\n/);
  const line = json.split(/\r?\n/).find((l) => l.includes('activation server listening'))!;
  assert.deepEqual({ ...JSON.parse(line), t: 'T' }, { t: 'T', lvl: 'info', c: 'ood/activation', msg: 'activation server listening', host: h, port: 3182 });
  // On pipes (a service manager, a log collector): JSON lines.
  const piped = spawnOod(d.path, h, [], { BUCKYOS_LOG_LEVEL: 'info' });
  others.push(piped);
  const pipedLine = await pollUntil('a JSON log line on the pipe', async () => piped.log().split('\n').find((l) => l.includes('activation server listening')), { timeoutMs: 30_000, context: piped.log });
  assert.equal(JSON.parse(pipedLine).msg, 'activation server listening');
  await piped.kill();
  const bad = await cli(['ood', '--data', d.path, '--log-format', 'pretty']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_PARAMS: --log-format takes human or json/);
});

test('item 2: the kernel logs to logs/kernel.log in the data folder, as JSON lines', async () => {
  const file = join(dir.path, 'logs', 'kernel.log');
  const text = await pollUntil('logs/kernel.log', async () => {
    const t = await readFile(file, 'utf8');
    return t.includes('OOD running') ? t : undefined;
  }, { timeoutMs: 10_000 });
  const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { lvl: string; c: string; msg: string });
  assert.ok(lines.some((l) => l.lvl === 'info' && l.c === 'ood' && l.msg === 'OOD running'), 'info lines are kept even when the console shows only warnings');
  assert.ok(lines.some((l) => l.msg === 'device activated'));
  assert.match(ood.stdout(), new RegExp(`Kernel log: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('item 3: the owner lists their devices and people, writes the keys the README names, and is told where the rest is written down', async () => {
  const list = async (key: string) => {
    const r = await cli(['kv', 'list', key], env);
    assert.equal(r.code, 0, `kv list ${key}: ${r.stderr}`);
    return r.stdout.trim().split('\n');
  };
  assert.ok((await list('nodes')).includes('ood1'));
  assert.ok((await list('devices')).includes('ood1'));
  assert.ok((await list('users')).includes('alice'));
  const info = await cli(['kv', 'get', 'devices/ood1/info'], env);
  assert.equal(info.code, 0, info.stderr);
  const settings = await cli(['kv', 'get', 'users/alice/settings'], env);
  assert.equal(settings.code, 0, settings.stderr);
  assert.equal(JSON.parse(settings.stdout).type, 'admin');
  assert.doesNotMatch(settings.stdout, /password/i);
  // The README's examples, as written there.
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const examples = [...readme.matchAll(/^npx buckyos (kv (?:set|list|get) .*)$/gm)].map((m) => m[1]);
  assert.ok(examples.length >= 3, 'the README shows kv examples');
  for (const example of examples) {
    const args = [...example.matchAll(/(?:'[^']*'|[^\s'])+/g)].map(([w]) => w.replace(/'/g, ''));
    const r = await cli(args, env);
    assert.equal(r.code, 0, `README example \`${example}\`: ${r.stderr}`);
  }
  for (const [key, value] of [['foo/bar', 'x'], ['users/alice/test', '{}'], ['nodes/ood1/config', '{}']]) {
    const r = await cli(['kv', 'set', key, value], env);
    assert.equal(r.code, 1, key);
    assert.match(r.stderr, /PERMISSION_DENIED: .*docs\/kv-keys\.md lists who may read and write each key/);
    assert.doesNotMatch(r.stderr, /ask the zone owner/);
  }
  for (const args of [['kv', 'list', 'security'], ['kv', 'get', 'security/verify-hub/passwords/alice']]) {
    const r = await cli(args, env);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /PERMISSION_DENIED/);
  }
  assert.ok(existsSync(join(repoRoot, 'docs', 'kv-keys.md')));
});

const work = await tempDir('buckyos-first-hour-work-');
after(work.remove);
/** What a user's shell has: the zone login, and a publisher key of their own (not the default in ~/.buckyos). */
const userEnv = { ...env, BUCKYOS_PUBLISHER_KEY: join(work.path, 'publisher_key.pem') };
const notesPkg = (v: string) => join(work.path, `notes-${v}.pkg`);

test('item 6: after this zone rolled a version back, `app install NAME` picks the newest one not rolled back, and says so', async () => {
  for (const v of ['1.0.0', '1.2.0']) {
    const built = await cli(['pkg', 'build', join(repoRoot, 'pkgs/notes'), ...(v === '1.0.0' ? [] : ['--release', v]), '--out', notesPkg(v)], userEnv);
    assert.equal(built.code, 0, built.stderr);
    const published = await cli(['pkg', 'publish', notesPkg(v)], userEnv);
    assert.equal(published.code, 0, published.stderr);
  }
  const installed = await cli(['app', 'install', 'notes', '--version', '1.0.0'], userEnv);
  assert.equal(installed.code, 0, installed.stderr);
  const upgraded = await cli(['app', 'upgrade', 'notes', '--version', '1.2.0'], userEnv);
  assert.equal(upgraded.code, 1);
  assert.match(upgraded.stderr, /the upgrade of notes to 1\.2\.0 failed .* it was rolled back to 1\.0\.0/);

  const second = await cli(['app', 'install', 'notes', '--id', 'notes2'], userEnv);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /note: notes 1\.2\.0 was rolled back in this zone \(.+\); installing 1\.0\.0, the newest version not rolled back here \(`--version 1\.2\.0` installs it anyway\)/);
  assert.match(second.stdout, /^notes2 1\.0\.0 running on ood1/m);
});

test('item 6: `app list` shows an app its node keeps restarting as failing (restarted N times), not starting', async () => {
  const crashy = await cli(['app', 'install', 'notes', '--id', 'crashy', '--version', '1.2.0'], userEnv);
  assert.equal(crashy.code, 1);
  assert.match(crashy.stderr, /install of crashy failed/);
  const line = await pollUntil('crashy restarted twice', async () => {
    const list = await cli(['app', 'list'], userEnv);
    const l = list.stdout.split('\n').find((x) => x.startsWith('crashy '));
    return l && /restarted ([2-9]|\d\d+) times/.test(l) ? l : undefined;
  }, { timeoutMs: 60_000, everyMs: 1000, context: ood.log });
  assert.match(line, /^crashy \(notes\) +1\.2\.0 +ood1 +failing \(restarted \d+ times\)$/);
  assert.doesNotMatch((await cli(['app', 'list'], userEnv)).stdout, /^crashy .*starting/m);
  const removed = await cli(['app', 'uninstall', 'crashy'], userEnv);
  assert.equal(removed.code, 0, removed.stderr);
});

test('item 7: Ctrl-C while following an install says the install goes on in the zone, and how to see or cancel it', async () => {
  // An app that never comes up: the install waits for it, so there is time to press Ctrl-C.
  const folder = join(work.path, 'slowstart');
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, 'pkg.json'), JSON.stringify({
    name: 'slowstart', version: '1.0.0', description: 'never starts listening', start: { cmd: ['node', 'main.mjs'] },
    health: { path: '/health' }, exposes: { www: { protocol: 'http' } }, install: { data_mounts: [], bind: '127.0.0.1' },
  }));
  await writeFile(join(folder, 'main.mjs'), 'setInterval(() => {}, 1000);\n');
  const pkg = join(work.path, 'slowstart.pkg');
  assert.equal((await cli(['pkg', 'build', folder, '--out', pkg], userEnv)).code, 0);
  assert.equal((await cli(['pkg', 'publish', pkg], userEnv)).code, 0);

  const install = spawn(process.execPath, [join(repoRoot, 'bin', 'buckyos.js'), 'app', 'install', 'slowstart'], { env: { ...process.env, ...userEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  install.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => install.on('exit', (code) => r(code)));
  await pollUntil('the install to be followed', async () => (/slowstart {2}\S/.test(stderr) ? true : undefined), { timeoutMs: 30_000, context: () => stderr });
  install.kill('SIGINT');
  assert.equal(await exited, 130);
  assert.match(stderr, /stopped following; the install of slowstart continues in the zone\. `buckyos app list` shows it; `buckyos app uninstall slowstart` cancels it\./);

  assert.match((await cli(['app', 'list'], userEnv)).stdout, /^slowstart +1\.0\.0 +\S+ +installing/m);
  const cancelled = await cli(['app', 'uninstall', 'slowstart'], userEnv);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, /slowstart uninstalled/);
});

test('item 8: --zone without a scheme works as at activation (http, port 3180 unless given)', async () => {
  const { BUCKYOS_ZONE: _zone, ...login } = env;
  for (const zone of [`${host}:3180`, host]) {
    const r = await cli(['app', 'list', '--zone', zone], login);
    assert.equal(r.code, 0, `--zone ${zone}: ${r.stderr}`);
    assert.match(r.stdout, /^notes +1\.0\.0/m);
  }
  const bad = await cli(['app', 'list', '--zone', `${host}:3180/kapi`], login);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /INVALID_PARAMS: the zone URL must be http\(s\):\/\/host\[:port\] and nothing more/);
});

test('item 8: `snapshot --diff` alone diffs against the previous snapshot; a bad or missing value is said plainly', async () => {
  const bare = await cli(['snapshot', '--diff'], env);
  assert.equal(bare.code, 0, bare.stderr);
  assert.match(bare.stdout, /^changes from rev \d+ \(\d{4}-\d\d-\d\dT[^)]+\) to rev \d+/);
  const word = await cli(['snapshot', '--diff', 'yesterday'], env);
  assert.equal(word.code, 1);
  assert.match(word.stderr, /INVALID_PARAMS: --diff takes the revision of an earlier snapshot \(kept: \d+(, \d+)*\), or nothing for the previous one/);
  const missing = await cli(['kv', 'get', 'boot/config', '--zone'], env);
  assert.match(missing.stderr, /INVALID_PARAMS: --zone needs a value/);
  assert.doesNotMatch(missing.stderr + word.stderr, /argument missing|<value>/, 'no parser wording');
  const snap = await cli(['snapshot'], env);
  assert.equal(snap.code, 0, snap.stderr);
  assert.doesNotMatch(snap.stdout, /\b1[7-9]\d{8}\b/, 'no raw unix timestamps');
});

test('item 8: wrong recovery words at enrolment say so, without telling the owner to ask the owner', async () => {
  const nodeDir = await tempDir('buckyos-first-hour-words-');
  after(nodeDir.remove);
  const r = await cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--name', 'nas9', '--device-data', nodeDir.path, '--mnemonic', generateMnemonic()]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /these recovery words are not the owner key of the zone at/);
  assert.match(r.stderr, /Use the 12 recovery words `buckyos activate` showed once/);
  assert.doesNotMatch(r.stderr, /ask the zone owner/);
});

test('item 8: packages built in the checkout are not left as untracked files', { skip: spawnSync('git', ['-C', repoRoot, 'rev-parse'], { stdio: 'ignore' }).status !== 0 && 'not a git checkout' }, async () => {
  // `pkg build DIR` without --out writes NAME-VERSION.pkg where it runs, the README's walk says `--out notes.pkg`.
  for (const file of ['notes.pkg', 'notes-1.0.0.pkg']) assert.equal(spawnSync('git', ['-C', repoRoot, 'check-ignore', '-q', file]).status, 0, `${file} is not ignored`);
  assert.notEqual(spawnSync('git', ['-C', repoRoot, 'check-ignore', '-q', 'kernel/repo-server/fixtures/x.pkg']).status, 0, 'fixtures deeper in the tree stay trackable');
});

test('item 8: the README states the Node.js versions truly: every locked package accepts its minimum, except those it names', async () => {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const pkgJson = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
  const min = /Node\.js (\d+\.\d+) or newer/.exec(readme)?.[1];
  assert.ok(min, 'the README names a minimum Node.js version');
  assert.equal(pkgJson.engines.node, `>=${min}`, 'package.json engines says the same');
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
  for (const [path, p] of Object.entries(lock.packages)) {
    const wants = p.engines?.node;
    if (!wants || !path || semver.satisfies(`${min}.0`, wants)) continue;
    const name = `${path.split('node_modules/').at(-1)}@${p.version}`;
    assert.ok(readme.includes(name), `${name} wants node ${wants}, which ${min} does not satisfy; the README must say so`);
  }
  assert.ok(semver.satisfies(process.version, pkgJson.engines.node), `this test runs on ${process.version}, outside what package.json claims`);
});

/** A TCP relay from `listenHost`:3180 to the OOD's gateway that the test can cut and restore: a network outage between a node and its OOD. */
function cuttableLink(listenHost: string, to: { host: string; port: number }) {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const up = () => new Promise<void>((resolve) => {
    server = createServer((client) => {
      const upstream = connect(to);
      for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
      client.pipe(upstream).pipe(client);
    });
    server.listen(3180, listenHost, resolve);
  });
  const down = () => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy();
    if (!server) return resolve();
    server.close(() => resolve());
    server = undefined;
  });
  return { up, down, url: `http://${listenHost}:3180` };
}

// Last: it leaves a node behind. The node reaches its OOD through a link the test cuts.
test('item 2: a node that cannot reach its OOD warns once (not every second), and says once when it is back', async () => {
  const nodeDir = await tempDir('buckyos-first-hour-node-');
  after(nodeDir.remove);
  const link = cuttableLink(randomLoopback(), { host, port: 3180 });
  after(link.down);
  await link.up();
  const enrolled = await cli(['enroll', '--zone', env.BUCKYOS_ZONE, '--name', 'nas1', '--device-data', nodeDir.path, '--mnemonic', mnemonic, '--ood-url', link.url]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const node = spawnNode(nodeDir.path, randomLoopback());
  others.push(node);
  const kernelLog = () => readFile(join(nodeDir.path, 'logs', 'kernel.log'), 'utf8').catch(() => '');
  await pollUntil('the node to run', async () => ((await kernelLog()).includes('node running') ? true : undefined), { timeoutMs: 60_000, context: node.log });
  const warnings = () => node.log().split('\n').filter((l) => l.includes('"lvl":"warn"'));
  const before = warnings().length;

  await link.down();
  await pollUntil('the node to notice', async () => (warnings().some((l) => l.includes('cannot reach')) ? true : undefined), { timeoutMs: 20_000, context: node.log });
  await sleep(8_000);
  const during = warnings().slice(before);
  assert.ok(during.length >= 1 && during.length <= 2, `one warning per part of the node that needs the OOD, not one per retry:\n${during.join('\n')}`);
  assert.ok(during.every((l) => /cannot reach the zone's system-config; retrying quietly/.test(l)), during.join('\n'));

  await link.up();
  const back = await pollUntil('the node to say the OOD is back', async () => {
    const lines = (await kernelLog()).split('\n').filter((l) => l.includes('"msg":"the zone\'s system-config answers again"'));
    return lines.length > 0 ? lines : undefined;
  }, { timeoutMs: 30_000, context: node.log });
  assert.match(back[0], /"msg":"the zone's system-config answers again","after":"\d+s"/);
  await sleep(2_000);
  assert.equal(warnings().length - before, during.length, 'no warnings once the OOD answers again');
});
