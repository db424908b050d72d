// npm start opens the Electron shell only where it can run, and otherwise says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchFacts, launchPlan, type LaunchFacts } from './launch.js';

const facts = (patch: Partial<LaunchFacts>): LaunchFacts => ({
  platform: 'linux', env: { DISPLAY: ':0' }, pathTxt: 'electron', distDir: '/e/dist', exists: (p) => p === '/e/dist/electron', ...patch,
});

test('with the binary and a display, Electron runs', () => {
  assert.deepEqual(launchPlan(facts({})), { electron: true, binary: '/e/dist/electron' });
  assert.deepEqual(launchPlan(facts({ platform: 'darwin', env: {}, pathTxt: 'Electron.app/Contents/MacOS/Electron', exists: () => true })).electron, true);
});

test('no binary, no display, or asked headless: the reason is given', () => {
  assert.match((launchPlan(facts({ pathTxt: undefined })) as { why: string }).why, /binary is not installed/);
  assert.match((launchPlan(facts({ exists: () => false })) as { why: string }).why, /binary is not installed/);
  assert.match((launchPlan(facts({ env: {} })) as { why: string }).why, /no display/);
  assert.equal(launchPlan(facts({ env: { WAYLAND_DISPLAY: 'wayland-0' } })).electron, true);
  assert.match((launchPlan(facts({ env: { DISPLAY: ':0', BUCKYOS_HEADLESS: '1' } })) as { why: string }).why, /BUCKYOS_HEADLESS/);
});

test('this checkout: electron is installed as a package, without its binary', () => {
  const f = launchFacts(join(import.meta.dirname, '..', 'node_modules', 'electron'));
  const plan = launchPlan(f);
  if (plan.electron) assert.ok(f.exists(plan.binary));
  else assert.ok(plan.why.length > 0);
});
