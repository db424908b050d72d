// `npm start` where Electron cannot run (here: no binary, no display): the kernel comes up headless,
// the wizard's address is printed and serves the page; after activation the control panel's address
// is printed and serves the panel; SIGTERM stops the kernel gracefully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cli, pollUntil, portIsOpen, randomLoopback, repoRoot, TEST_PASSWORD, tempDirFor } from '../kernel/testing/harness.js';

test('npm start without Electron: headless kernel, the URL printed, the page served, a graceful stop', async (t) => {
  const dataDir = await tempDirFor(t, 'buckyos-desktop-start-');
  const host = randomLoopback();
  const env: NodeJS.ProcessEnv = { ...process.env, BUCKYOS_DATA: dataDir, BUCKYOS_NO_BROWSER: '1', DISPLAY: '', WAYLAND_DISPLAY: '' };
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'electron', 'start.ts'), '--host', host], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  const context = () => out;

  await pollUntil('the reason for no window', async () => (/^No desktop window: .+\. The zone runs headless/m.test(out) ? true : undefined), { timeoutMs: 60_000, context });
  const wizard = await pollUntil('the wizard URL', async () => /Create your zone in the browser: (http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 90_000, context });
  assert.equal(wizard, `http://${host}:3182/`);
  const page = await fetch(wizard);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script|<div id=/);
  // The first address printed is the clean one (what a person or a script copies).
  assert.equal(/http:\/\/[0-9.]+:318[02][^ \n]*/.exec(out)?.[0], wizard);

  const act = await cli(['activate', '--device', wizard.replace(/\/$/, ''), '--zone', 'startzone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.stderr);
  const panel = await pollUntil('the control panel URL', async () => /Control panel: (http:\/\/\S+)/.exec(out)?.[1], { timeoutMs: 90_000, context });
  assert.equal(panel, `http://${host}:3180/`);
  const panelPage = await fetch(panel);
  assert.equal(panelPage.status, 200);
  assert.match(await panelPage.text(), /<script/);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  assert.match(out, /The zone stopped/);
  assert.equal(await portIsOpen(host, 3180), false);
});
