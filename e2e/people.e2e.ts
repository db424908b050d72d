// People against a real OOD: the owner adds Bob with access to one app only (the password dialog of
// sudo comes first), Bob signs in and the kernel refuses him the people list, shown in plain words;
// the kernel also refuses him the other app. Then switching off and the remove confirm. Every screen
// is scanned by axe and saved as e2e/artifacts/people-*.png in en and zh, light and dark.
import { expect, test, type Page } from '@playwright/test';
import { buckyos, expectAccessible, shot, startOod, waitForPort, type Ood } from './kernel';

const OWNER = 'alice';
const PASSWORD = 'Sunny-garden-42';
const BOB_PASSWORD = 'Blue-kite-flying-7';
const APPS = ['notes', 'photos'];

test.describe.configure({ mode: 'serial' });

let ood: Ood;
let zone: string;

/** An app as the app-manager records it; the scheduler places it (its package need not exist). */
const appSpec = (app: string, index: number) => JSON.stringify({
  installation_id: app, app_doc: { name: app, version: '1.0.0', pkg_list: { script: { pkg_id: `${app}#1.0.0` } } }, app_index: index, user_id: OWNER,
  app_class: 'UserInstalled', enable: true, expected_instance_count: 1, state: 'new', spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
});

test.beforeAll(async () => {
  test.setTimeout(240_000);
  ood = await startOod();
  await waitForPort(ood.host, 3182);
  await buckyos(['activate', '--device', `http://${ood.host}:3182`, '--zone', 'peoplezone', '--owner', OWNER, '--password', PASSWORD]);
  zone = `http://${ood.host}:3180`;
  await waitForPort(ood.host, 3180);
  const env = { BUCKYOS_ZONE: zone, BUCKYOS_USER: OWNER, BUCKYOS_PASSWORD: PASSWORD };
  for (const [i, app] of APPS.entries()) await buckyos(['kv', 'set', `users/${OWNER}/apps/${app}/spec`, appSpec(app, 20 + i)], env);
});
test.afterAll(async () => {
  await ood?.remove();
});

/** Scan and save the current screen in light and dark. */
async function screen(page: Page, name: string) {
  await expectAccessible(page, name);
  await shot(page, `people-${name}.light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, `${name} (dark)`);
  await shot(page, `people-${name}.dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

async function signIn(page: Page, user: string, password: string) {
  await page.goto(`${zone}/#/people`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'People', level: 1 })).toBeVisible();
}

test('the owner adds Bob with access to notes only; the change waits for her password', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page, OWNER, PASSWORD);
  await expect(page.locator('[data-person="alice"]')).toBeVisible();
  await expect(page.locator('[data-empty="people"]')).toBeVisible();
  await screen(page, 'list-empty');

  await page.getByRole('button', { name: 'Add a person' }).click();
  await expect(page.locator('[data-app-check]')).toHaveCount(2, { timeout: 30_000 });
  await page.getByLabel('Name', { exact: true }).fill('bob');
  await page.getByLabel('Password', { exact: true }).fill(BOB_PASSWORD);
  await page.getByRole('checkbox', { name: 'photos' }).uncheck();
  await screen(page, 'add');
  await page.getByRole('button', { name: 'Add bob' }).click();

  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Your password').fill('not-my-password');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog.getByText('That is not your password.')).toBeVisible();
  await screen(page, 'sudo-wrong');
  await dialog.getByLabel('Your password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.locator('[data-added="bob"]')).toBeVisible();
  await expect(page.locator('[data-person="bob"]')).toBeVisible();

  await page.getByRole('button', { name: 'App access: bob' }).click();
  await expect(page.getByRole('checkbox', { name: 'notes' })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: 'photos' })).not.toBeChecked();
  await screen(page, 'list');

  await page.getByLabel('Language').selectOption('zh');
  await expect(page.getByRole('heading', { name: '成员', level: 1 })).toBeVisible();
  await screen(page, 'list.zh');
  await page.getByLabel('语言').selectOption('en');
});

test('Bob signs in: the kernel refuses him the people list, in plain words, and the app he was not given', async ({ page, request }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page, 'bob', BOB_PASSWORD);
  const refusal = page.locator('[data-refused="people"]');
  await expect(refusal).toContainText('Only the owner and admins can see and change the people of this home cloud.');
  await expect(page.getByRole('button', { name: 'Add a person' })).toHaveCount(0);
  await refusal.getByText('Details').click();
  await expect(refusal.locator('pre')).toContainText('no read permission');
  await screen(page, 'refused');
  await page.getByLabel('Language').selectOption('zh');
  await expect(refusal).toContainText('只有所有者和管理员可以查看和修改这个家庭云的成员。');
  await screen(page, 'refused.zh');
  await page.getByLabel('语言').selectOption('en');

  // The apps themselves: verify-hub gives Bob a session for notes and refuses photos.
  const kit = await page.evaluate(async () => {
    const m = await import(/* @vite-ignore */ new URL('owner-kit.js', document.baseURI).href) as { ownerKit: { hashPassword(p: string, u: string): string; loginProof(h: string, n: number): string } };
    const n1 = Date.now();
    const n2 = n1 + 1;
    const h = m.ownerKit.hashPassword('Blue-kite-flying-7', 'bob');
    return [[n1, m.ownerKit.loginProof(h, n1)], [n2, m.ownerKit.loginProof(h, n2)]] as const;
  });
  const login = (appid: string, [nonce, proof]: readonly [number, string]) => request.post(`${zone}/kapi/verify_hub`, {
    data: { method: 'login_by_password', params: { type: 'password', username: 'bob', password: proof, appid, login_nonce: nonce }, sys: [1] },
  }).then((r) => r.json() as Promise<{ result?: unknown; error?: string }>);
  expect((await login('notes', kit[0])).result).toBeTruthy();
  expect((await login('photos', kit[1])).error).toMatch(/^PERMISSION_DENIED: bob may not use the app "photos"/);
});

test('switching Bob off and removing him confirm with the consequence spelled out', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page, OWNER, PASSWORD);
  const bob = page.locator('[data-person="bob"]');
  await bob.getByRole('button', { name: 'Switch off: bob' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
  await expect(dialog).toBeVisible();
  await screen(page, 'sudo');
  await dialog.getByLabel('Your password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(bob.locator('[data-badge="off"]')).toBeVisible();
  await bob.getByRole('button', { name: 'Remove: bob' }).click();
  await expect(bob.getByRole('alertdialog')).toContainText('They can no longer sign in');
  await screen(page, 'remove-confirm');
  await bob.getByRole('button', { name: 'Remove bob' }).click();
  await expect(page.locator('[data-person="bob"]')).toHaveCount(0);
});
