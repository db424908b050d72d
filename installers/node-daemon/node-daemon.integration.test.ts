// The headless node as a NAS owner gets it: build the one-file bundle, install it with install.sh into a
// temporary root (--prefix), see it start and answer on :3182 with the pairing code install.sh printed,
// enrol it into a real OOD with `buckyos enroll`, see it run as a node of the zone, uninstall, and find
// nothing left: no process, no port, no file. The service files install.sh writes are checked too
// (systemd-analyze verify where it exists, sh -n for the procd script). The single executable (Node 24
// embedded) is built by `npm run build:node:sea`, outside this test: it downloads two runtimes;
// `npm run test:node:sea` builds it and runs this test on it (BUCKYOS_NODE_FROM=<executable>).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { activatedOod, cli, pollUntil, portIsOpen, randomLoopback, repoRoot, tempDir } from '../../kernel/testing/harness.js';
import { login } from '../../kernel/cli/session.js';

const run = promisify(execFile);
const here = join(repoRoot, 'installers/node-daemon');
/** What gets installed: the bundle built here, or (npm run test:node:sea) the single executable. */
const fromEnv = process.env.BUCKYOS_NODE_FROM;
const bundle = fromEnv ?? join(repoRoot, 'dist/node-daemon/buckyos-node.cjs');

/** Every path under `dir`, relative, sorted. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      out.push(join(rel, e.name));
      if (e.isDirectory()) await walk(join(d, e.name), join(rel, e.name));
    }
  };
  await walk(dir, '');
  return out.sort();
}

/** Alive and not a zombie (an orphan may wait a moment for PID 1 to reap it). */
async function alive(pid: number): Promise<boolean> {
  try {
    return !/^State:\s+Z/m.test(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const root = await tempDir('buckyos-install-');
const host = randomLoopback();
const zone = await activatedOod();
let nodePid = 0;
after(async () => {
  if (nodePid && (await alive(nodePid))) process.kill(nodePid, 'SIGKILL');
  await zone.ood.kill('SIGTERM');
  await Promise.all([root.remove(), zone.dir.remove()]);
});

test('build, install into a temporary root, pair with a real OOD, uninstall: nothing is left', async () => {
  if (!fromEnv) await run(process.execPath, [join(here, 'build.mjs')], { cwd: repoRoot });
  const { stdout: version } = fromEnv ? await run(bundle, ['version']) : await run(process.execPath, [bundle, 'version']);
  assert.match(version, /^buckyos-node \d+\.\d+\.\d+ \(Node /);

  // install.sh prints the pairing code once the node answers on :3182.
  const prefix = join(root.path, 'root');
  const installed = await run('sh', [join(here, 'install.sh'), '--prefix', prefix, '--host', host, '--from', bundle], { timeout: 120_000 });
  const printedCode = /Pairing code: +([A-Z2-7]{4}-[A-Z2-7]{4}(?:-[A-Z2-7]{4})?)\n/.exec(installed.stdout)?.[1];
  const code = /Key fingerprint: ([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})\n/.exec(installed.stdout)?.[1];
  assert.ok(printedCode && code, `install.sh printed no pairing code:\n${installed.stdout}\n${installed.stderr}`);
  assert.match(installed.stdout, /█/, 'and a QR code');
  const data = join(prefix, 'var/lib/buckyos-node');
  nodePid = Number(await readFile(join(data, 'buckyos-node.pid'), 'utf8'));
  assert.ok(await alive(nodePid));
  const device = (await (await fetch(`http://${host}:3182/device`)).json()) as { join_code: string; state: string };
  assert.equal(device.join_code, code);
  assert.equal(device.state, 'inactive');

  // Installing again is an update: same data, same device key, so the same code.
  const again = await run('sh', [join(here, 'install.sh'), '--prefix', prefix, '--host', host, '--from', bundle], { timeout: 120_000 });
  assert.match(again.stdout, new RegExp(`Key fingerprint: ${code}`));
  const restartedPid = Number(await readFile(join(data, 'buckyos-node.pid'), 'utf8'));
  assert.notEqual(restartedPid, nodePid, 'the update restarted the node');
  await pollUntil('the old process gone', async () => (!(await alive(nodePid)) ? true : undefined), { timeoutMs: 30_000 });
  nodePid = restartedPid;

  // The owner adds it with the existing enrolment path.
  const enrolled = await cli(['enroll', '--zone', zone.env.BUCKYOS_ZONE, '--device', `http://${host}:3182`, '--code', code, '--name', 'nas1', '--mnemonic', zone.mnemonic]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const health = await pollUntil('the installed node running as nas1', async () => {
    try {
      const res = await fetch(`http://${host}:3180/health`, { signal: AbortSignal.timeout(3000) });
      return res.ok ? ((await res.json()) as { node: string; role: string }) : undefined;
    } catch {
      return undefined;
    }
  }, { timeoutMs: 60_000, context: () => '' });
  assert.deepEqual([health.node, health.role], ['nas1', 'node']);
  const session = await login({ zone: zone.env.BUCKYOS_ZONE, user: 'alice', password: zone.env.BUCKYOS_PASSWORD });
  await pollUntil('nas1 reporting to the zone', async () => {
    const r = await session.client('system_config').call<{ value: string } | null>('sys_config_get', { key: 'devices/nas1/info' });
    return r?.value ? true : undefined;
  }, { timeoutMs: 60_000 });

  // Uninstall: the process, its ports and every file go (the temporary root is empty again).
  const removed = await run('sh', [join(here, 'uninstall.sh'), '--prefix', prefix], { timeout: 120_000 });
  assert.match(removed.stdout, /uninstalled/);
  assert.equal(await alive(nodePid), false, 'the node process is stopped');
  assert.equal(await portIsOpen(host, 3180), false);
  assert.equal(await portIsOpen(host, 3182), false);
  assert.deepEqual(await tree(prefix).catch(() => []), []);
  const twice = await run('sh', [join(here, 'uninstall.sh'), '--prefix', prefix]);
  assert.match(twice.stdout, /nothing to do/);
});

test('the service files: a hardened systemd unit and an OpenWrt procd script, both removed again', async () => {
  const prefix = join(root.path, 'services');
  await run('sh', [join(here, 'install.sh'), '--prefix', prefix, '--init', 'systemd', '--no-start', '--from', bundle]);
  const unit = await readFile(join(prefix, 'etc/systemd/system/buckyos-node.service'), 'utf8');
  const exec = fromEnv ? `${prefix}/opt/buckyos-node/buckyos-node` : `\\S*node ${prefix}/opt/buckyos-node/buckyos-node.cjs`;
  assert.match(unit, new RegExp(`^ExecStart=${exec} node --data ${prefix}/var/lib/buckyos-node --host 0.0.0.0`, 'm'));
  for (const line of ['User=buckyos-node', 'NoNewPrivileges=yes', 'ProtectSystem=strict', `ReadWritePaths=${prefix}/var/lib/buckyos-node`, 'CapabilityBoundingSet=', 'PrivateTmp=yes'])
    assert.ok(unit.split('\n').includes(line), `the unit has ${line}`);
  assert.doesNotMatch(unit, /@[A-Z]+@/, 'every placeholder filled');
  const verify = await run('systemd-analyze', ['verify', '--man=no', join(prefix, 'etc/systemd/system/buckyos-node.service')]).then(
    (r) => r, (e: NodeJS.ErrnoException & { stderr?: string }) => (e.code === 'ENOENT' ? undefined : { stderr: `failed: ${e.stderr}` }));
  if (verify) assert.doesNotMatch(verify.stderr, /failed|error|unknown/i);
  else console.log('# systemd-analyze not installed: the unit was not verified by systemd');

  // Switching to procd (OpenWrt) replaces the unit with an init script.
  await run('sh', [join(here, 'install.sh'), '--prefix', prefix, '--init', 'procd', '--no-start', '--from', bundle]);
  const initd = join(prefix, 'etc/init.d/buckyos-node');
  const script = await readFile(initd, 'utf8');
  assert.match(script, /^#!\/bin\/sh \/etc\/rc\.common\n/);
  assert.match(script, /^USE_PROCD=1$/m);
  assert.match(script, /procd_set_param user buckyos-node/);
  await run('sh', ['-n', initd]);
  assert.deepEqual((await tree(prefix)).filter((p) => p.startsWith('etc/systemd/system/')), []);

  await run('sh', [join(here, 'uninstall.sh'), '--prefix', prefix]);
  assert.deepEqual(await tree(prefix).catch(() => []), []);
});
