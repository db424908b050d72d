// The owner runs their apps and looks at their settings, against a real OOD: publish notes by
// choosing and by dropping a .pkg (with progress), install it (where it runs, and why), read its log,
// update and go back by hand, see its key in the config browser update live, a refusal in plain
// words; bad paths: an app that keeps crashing (the screen says so, shows its log and a next step) and
// the kernel stopping while the page is open (the page says so and recovers). axe on every screen;
// screenshots e2e/artifacts/ops-*.png in light and dark, en and zh.
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { buckyos, expectAccessible, shot, startOod, waitForPort, type Ood } from './kernel';

const OWNER = 'alice';
const PASSWORD = 'Sunny-garden-42';
const root = resolve(import.meta.dirname, '..');

test.describe.configure({ mode: 'serial' });

let ood: Ood;
let zoneUrl: string;
const pkgs: Record<string, string> = {};

/** A tiny app that works for a few seconds after it is installed, then crashes at every start. */
async function writeCrashyApp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pkg.json'), JSON.stringify({
    name: 'crashy', version: '1.0.0', description: 'An app that stops working after a while',
    start: { cmd: ['node', 'server.mjs'] }, health: { path: '/health', timeout_ms: 3000 },
    exposes: { www: { protocol: 'http' } }, install: { data_mounts: [], bind: '127.0.0.1' }, min_resources: { memory_mb: 32 }, platform: 'any',
  }));
  await writeFile(join(dir, 'server.mjs'), `
import { createServer } from 'node:http';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const marker = join(process.env.BUCKYOS_DATA_DIR || '.', 'broken');
if (existsSync(marker)) {
  console.error('Error: the data file is damaged; crashy cannot start');
  process.exit(3);
}
const server = createServer((req, res) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); });
server.listen(0, process.env.BUCKYOS_BIND || '127.0.0.1', () => {
  writeFileSync(process.env.BUCKYOS_PORT_FILE, String(server.address().port));
  console.log('crashy is up');
  setTimeout(() => { writeFileSync(marker, '1'); console.error('Error: the data file is damaged; stopping'); process.exit(3); }, 12000);
});
`);
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  ood = await startOod();
  await waitForPort(ood.host, 3182);
  await buckyos(['activate', '--device', `http://${ood.host}:3182`, '--zone', 'home', '--owner', OWNER, '--password', PASSWORD]);
  await waitForPort(ood.host, 3180);
  zoneUrl = `http://${ood.host}:3180`;
  const env = { BUCKYOS_PUBLISHER_KEY: join(ood.scratchDir, 'publisher_key.pem') };
  for (const release of [undefined, '1.1.0']) {
    const out = join(ood.scratchDir, `notes-${release ?? '1.0.0'}.pkg`);
    await buckyos(['pkg', 'build', join(root, 'pkgs', 'notes'), '--out', out, ...(release ? ['--release', release] : [])], env);
    pkgs[release ?? '1.0.0'] = out;
  }
  await writeCrashyApp(join(ood.scratchDir, 'crashy'));
  pkgs.crashy = join(ood.scratchDir, 'crashy.pkg');
  await buckyos(['pkg', 'build', join(ood.scratchDir, 'crashy'), '--out', pkgs.crashy], env);
});
test.afterAll(async () => {
  await ood?.remove();
});

/** Scan and save the current screen in light and dark (and Chinese, light and dark, where asked). */
async function screen(page: Page, name: string, opts: { zh?: boolean } = {}) {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expectAccessible(page, `${name} (${scheme})`);
    await shot(page, `ops-${name}.${scheme}`);
  }
  if (opts.zh) {
    await page.getByLabel('Language').selectOption('zh');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await expectAccessible(page, `${name} zh (${scheme})`);
      await shot(page, `ops-${name}.zh.${scheme}`);
    }
    await page.getByLabel('语言').selectOption('en');
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Drops `file` on the drop zone as a person dragging it from their desktop would. */
async function dropFile(page: Page, file: string) {
  const bytes = (await readFile(file)).toString('base64');
  const name = file.split('/').pop()!;
  const dataTransfer = await page.evaluateHandle(({ bytes, name }) => {
    const dt = new DataTransfer();
    const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    dt.items.add(new File([bin], name, { type: 'application/octet-stream' }));
    return dt;
  }, { bytes, name });
  await page.dispatchEvent('[data-drop-zone]', 'dragover', { dataTransfer });
  await page.dispatchEvent('[data-drop-zone]', 'drop', { dataTransfer });
}

test('publish, install, log, update and go back; the config browser shows the app\'s key, live', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(`${zoneUrl}/`);
  await page.getByLabel('Name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  await expect(page.locator('[data-check=disk]')).toHaveAttribute('data-status', 'ok', { timeout: 60_000 });
  await expect(page.locator('[data-check=disk]')).toContainText('GB free on ood1');

  await page.getByRole('link', { name: 'Apps' }).click();
  await expect(page.getByRole('heading', { name: 'Apps', level: 1 })).toBeVisible();
  await expect(page.locator('[data-empty=library]')).toBeVisible();
  await screen(page, '01-apps-empty');

  await test.step('publish notes 1.0.0 by choosing the file: phases and bytes, then it is in the library', async () => {
    await page.locator('#publish-file').setInputFiles(pkgs['1.0.0']);
    await expect(page.locator('[data-publish=done]')).toContainText('notes 1.0.0 is in the library now.', { timeout: 60_000 });
    const library = page.locator('[data-library-app=notes]');
    await expect(library).toContainText('Plain notes kept in your zone');
    await expect(library.locator('img.app-icon')).toBeVisible();
    await screen(page, '02-apps-published');
  });

  const notes = page.locator('[data-app=notes]');
  await test.step('install in one click: it runs, and the screen says where and why', async () => {
    await page.getByRole('button', { name: 'Install notes' }).click();
    await expect(notes).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
    await expect(notes.locator('[data-placement=ood1]')).toBeVisible({ timeout: 30_000 });
    await expect(notes.locator('[data-why]')).toHaveText('the only device that can run it');
    await expect(notes.locator('img.app-icon')).toBeVisible();
  });

  await test.step('its log: the last lines, from the device it runs on', async () => {
    await notes.getByRole('button', { name: 'Show log' }).click();
    const log = notes.locator('[data-log=notes]');
    await expect(log).toContainText('Last lines of the log of notes, on ood1');
    await expect(log.locator('.log-lines')).toContainText('started pid');
    await screen(page, '03-apps-log', { zh: true });
    await notes.getByRole('button', { name: 'Hide log' }).click();
    await expect(log).toBeHidden();
  });

  await test.step('publish 1.1.0 by dropping it, update, then go back to 1.0.0 by hand', async () => {
    await dropFile(page, pkgs['1.1.0']);
    await expect(page.locator('[data-publish=done]')).toContainText('notes 1.1.0 is in the library now.', { timeout: 60_000 });
    await notes.getByLabel('Version to update notes to').selectOption('1.1.0');
    await notes.getByRole('button', { name: 'Update' }).click();
    await expect(notes).toHaveAttribute('data-version', '1.1.0', { timeout: 120_000 });
    await expect(notes).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
    await notes.getByRole('button', { name: 'Go back to 1.0.0' }).click();
    await expect(notes.getByRole('alertdialog')).toContainText('Go back from 1.1.0 to 1.0.0?');
    await screen(page, '04-apps-go-back-confirm');
    await notes.getByRole('alertdialog').getByRole('button', { name: 'Go back to 1.0.0' }).click();
    await expect(notes).toHaveAttribute('data-version', '1.0.0', { timeout: 120_000 });
    await expect(notes.locator('[data-rollback]')).toContainText('Went back from 1.1.0 to 1.0.0 as you asked', { timeout: 60_000 });
    await screen(page, '05-apps-went-back');
  });

  await test.step('settings: the app\'s key with its revision, read-only; it updates live', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
    await expect(page.locator('[data-live=true]')).toBeVisible({ timeout: 30_000 });
    for (const k of ['users', 'users/alice', 'users/alice/apps', 'users/alice/apps/notes']) await page.locator(`[data-key="${k}"]`).click();
    await page.locator('[data-key="users/alice/apps/notes/spec"]').click();
    const panel = page.locator('[data-selected="users/alice/apps/notes/spec"]');
    await expect(panel.locator('[data-value]')).toContainText('"notes#1.0.0"');
    await expect(panel.locator('[data-revision]')).toContainText(/Revision \d+/);
    await expect(panel.getByRole('button', { name: 'Change…' })).toBeVisible();
    await screen(page, '06-settings-app-key', { zh: true });

    // Someone changes a setting elsewhere: it appears without a reload.
    await buckyos(['kv', 'set', 'users/alice/apps/notes/settings', '{"theme":"dark"}', '--zone', zoneUrl, '--user', OWNER, '--password', PASSWORD]);
    await expect(page.locator('[data-key="users/alice/apps/notes/settings"]')).toBeVisible({ timeout: 30_000 });
    await page.locator('[data-key="users/alice/apps/notes/settings"]').click();
    const settings = page.locator('[data-selected="users/alice/apps/notes/settings"]');
    await expect(settings.locator('[data-value]')).toContainText('"theme": "dark"');

    // An edit: the new value, a confirm that says what it does, then the password again (sudo).
    await settings.getByRole('button', { name: 'Change…' }).click();
    await settings.getByLabel('New value').fill('{"theme": "light"');
    await expect(settings.getByText('This is no longer valid JSON')).toBeVisible();
    await expect(settings.getByRole('button', { name: 'Save' })).toBeDisabled();
    await settings.getByLabel('New value').fill('{"theme": "light"}');
    await settings.getByRole('button', { name: 'Save' }).click();
    await expect(settings.getByRole('alertdialog')).toContainText('Save the new value of users/alice/apps/notes/settings?');
    await screen(page, '07-settings-edit-confirm', { zh: true });
    await settings.getByRole('button', { name: 'Yes, save it' }).click();
    const sudo = page.locator('[data-dialog=sudo]');
    await expect(sudo).toBeVisible();
    await shot(page, 'ops-07-settings-sudo.light');
    await sudo.getByLabel('Your password').fill(PASSWORD);
    await sudo.getByRole('button', { name: 'Confirm' }).click();
    await expect(settings.locator('[data-saved]')).toBeVisible({ timeout: 30_000 });
    await expect(settings.locator('[data-value]')).toContainText('"theme": "light"');

    // A place the kernel keeps closed to this account reads as a refusal in plain words.
    await page.locator('[data-key="users/root"]').click();
    await expect(page.locator('[data-refused]').first()).toBeVisible();
    await screen(page, '08-settings-refused');
  });
});

test('an app that keeps crashing: the screen says so, shows its log and the next step', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(`${zoneUrl}/#/apps`);
  await page.getByLabel('Name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Apps', level: 1 })).toBeVisible();
  await page.locator('#publish-file').setInputFiles(pkgs.crashy);
  await expect(page.locator('[data-publish=done]')).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Install crashy' }).click();
  const crashy = page.locator('[data-app=crashy]');
  await expect(crashy).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  // It stops after a few seconds and at every start after that.
  await expect(crashy).toHaveAttribute('data-state', /^(failing|failed)$/, { timeout: 120_000 });
  const trouble = crashy.locator('[data-trouble]');
  await expect(trouble).toContainText('crashy keeps stopping');
  await expect(trouble).toContainText('Its last log lines are below');
  await expect(crashy.locator('.log-lines')).toContainText('the data file is damaged', { timeout: 30_000 });
  await screen(page, '09-apps-crashing', { zh: true });
});

test('the kernel stops while the settings are open: the page says so, and recovers when it is back', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(`${zoneUrl}/#/settings`);
  await page.getByLabel('Name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  await expect(page.locator('[data-live=true]')).toBeVisible({ timeout: 30_000 });
  await page.locator('[data-key="boot"]').click();
  await ood.stop();
  await expect(page.locator('[data-banner=offline]')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('[data-live=false]')).toBeVisible();
  // A folder opened while the kernel is away fails to list; it is listed again when the kernel is back.
  await page.locator('[data-key="system"]').click();
  await expect(page.locator('[data-folder="system"]')).toHaveCount(0);
  await screen(page, '10-settings-offline');
  ood.start();
  await expect(page.locator('[data-banner=offline]')).toBeHidden({ timeout: 120_000 });
  await expect(page.locator('[data-live=true]')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator('[data-key="boot/config"]')).toBeVisible();
  await expect(page.locator('[data-key="system/rbac"]')).toBeVisible();
});
