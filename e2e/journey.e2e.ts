// The owner's journey against a real OOD: a fresh device opens the setup wizard on :3182 (≤ 5
// screens), ends signed in on Home at :3180, survives the kernel stopping while the page is open,
// signs out and in (wrong password first), remembers the language, and meets the lockout in plain
// words. Every screen is scanned by axe and saved under e2e/artifacts/ in light and dark.
import { gzipSync } from 'node:zlib';
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, publishNotes, shot, startOod, waitForPort, type Ood } from './kernel';

const OWNER = 'alice';
const PASSWORD = 'Sunny-garden-42';

test.describe.configure({ mode: 'serial' });

let ood: Ood;
test.beforeAll(async () => {
  ood = await startOod();
  await waitForPort(ood.host, 3182);
});
test.afterAll(async () => {
  await ood?.remove();
});

/** Scan and save the current screen in light and dark. */
async function screen(page: Page, name: string) {
  await expectAccessible(page, name);
  await shot(page, `${name}.light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, `${name} (dark)`);
  await shot(page, `${name}.dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

test('the served panel loads at most 250 KB of gzipped JS before its first screen', async ({ request }) => {
  const base = `http://${ood.host}:3182/`;
  const html = await (await request.get(base)).text();
  const initial = [...html.matchAll(/<script[^>]+src="([^"]+\.js)"|<link rel="modulepreload"[^>]+href="([^"]+\.js)"/g)].map((m) => m[1] ?? m[2]);
  expect(initial.length).toBeGreaterThan(0);
  let gzipped = 0;
  for (const src of initial) {
    const res = await request.get(new URL(src, base).href);
    expect(res.headers()['content-type']).toContain('javascript');
    expect(res.headers()['cache-control']).toContain('immutable');
    gzipped += gzipSync(await res.body(), { level: 9 }).length;
  }
  console.log(`initial JS: ${(gzipped / 1024).toFixed(1)} KB gzipped in ${initial.length} files`);
  expect(gzipped).toBeLessThanOrEqual(250 * 1024);
});

test('a fresh device is set up from the page in at most 5 screens and lands on Home signed in', async ({ page }) => {
  test.setTimeout(600_000);
  const seen: string[] = [];
  const step = async () => {
    const s = (await page.locator('[data-wizard-step]').getAttribute('data-wizard-step'))!;
    if (!seen.includes(s)) seen.push(s);
    return s;
  };
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`http://${ood.host}:3182/`);

  await test.step('welcome: language and name, keyboard only', async () => {
    await expect(page.getByRole('heading', { name: 'Set up your home cloud' })).toBeFocused();
    expect(await step()).toBe('welcome');
    await page.getByLabel('Language').selectOption('zh');
    await expect(page.getByRole('heading', { name: '设置你的家庭云' })).toBeVisible();
    await shot(page, '01-wizard-welcome.zh');
    await page.getByLabel('语言').selectOption('en');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Your name')).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByText('Use 1–64 lowercase letters')).toBeVisible();
    await page.keyboard.type(OWNER);
    await screen(page, '01-wizard-welcome');
    await page.keyboard.press('Enter');
  });

  let words: string[] = [];
  await test.step('recovery words: shown once, then checked', async () => {
    await expect(page.getByRole('heading', { name: 'Your recovery words' })).toBeVisible();
    expect(await step()).toBe('words');
    words = (await page.locator('[data-word-index]').allTextContents()).map((t) => t.replace(/^\d+\./, '').trim());
    expect(words).toHaveLength(12);
    await screen(page, '02-wizard-words');
    await page.getByRole('button', { name: 'I have written them down' }).click();

    await expect(page.getByRole('heading', { name: 'Check your words' })).toBeVisible();
    expect(await step()).toBe('check');
    const inputs = page.locator('[data-check-position]');
    await expect(inputs).toHaveCount(3);
    for (let i = 0; i < 3; i++) {
      const pos = Number(await inputs.nth(i).getAttribute('data-check-position'));
      await inputs.nth(i).fill(i === 0 ? 'wrong' : words[pos]);
    }
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect(page.getByText('At least one word does not match')).toBeVisible();
    await inputs.nth(0).fill(words[Number(await inputs.nth(0).getAttribute('data-check-position'))]);
    await screen(page, '03-wizard-check');
    await page.getByRole('button', { name: 'Continue' }).click();
  });

  await test.step('name and password with a strength meter', async () => {
    await expect(page.getByRole('heading', { name: 'Name and password' })).toBeVisible();
    expect(await step()).toBe('zone');
    await page.getByLabel('Name of your home cloud').fill('home');
    await page.getByLabel('Password', { exact: true }).fill('alice123');
    await expect(page.getByText('Strength: weak')).toBeVisible();
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await expect(page.getByText(/Strength: (good|strong)/)).toBeVisible();
    await page.getByLabel('Type the password again').fill(PASSWORD);
    await screen(page, '04-wizard-zone');
    await page.getByRole('button', { name: 'Continue' }).click();
  });

  await test.step('review, then first-boot progress ending on Home', async () => {
    await expect(page.getByRole('heading', { name: 'Ready to set up' })).toBeVisible();
    expect(await step()).toBe('review');
    await expect(page.locator('dl.review')).toContainText(OWNER);
    await screen(page, '05-wizard-review');
    await page.getByRole('button', { name: 'Set up my home cloud' }).click();
    await expect(page.locator('[data-setup-phase]')).toBeVisible();
    await shot(page, '06-wizard-progress.light');
    await page.waitForURL(`http://${ood.host}:3180/**`, { timeout: 120_000 });
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible({ timeout: 60_000 });
    expect(page.url()).not.toContain('handover');
  });
  expect(seen, 'wizard screens').toEqual(['welcome', 'words', 'check', 'zone', 'review']);
  expect(seen.length).toBeLessThanOrEqual(5);

  await test.step('Home: healthy, with counts', async () => {
    await expect(page.locator('[data-health]')).toHaveAttribute('data-health', 'ok', { timeout: 120_000 });
    await expect(page.locator('[data-count=devices] .num')).toHaveText('1');
    await expect(page.locator('[data-count=apps] .num')).toHaveText('0');
    await expect(page.locator('[data-count=people] .num')).toHaveText('1');
    await expect(page.getByText(`Signed in as ${OWNER}`)).toBeVisible();
    await screen(page, '07-home');
  });

  await test.step('the kernel stops while the page is open: the page says so and recovers', async () => {
    await ood.stop();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.locator('[data-banner=offline]')).toBeVisible();
    await expect(page.getByText('Lost contact with your home cloud.')).toBeVisible();
    await shot(page, '08-home-offline.light');
    ood.start();
    await expect(page.locator('[data-banner=offline]')).toBeHidden({ timeout: 120_000 });
    // Services come back one by one; Home looks again by itself until all answer.
    await expect(page.locator('[data-health]')).toHaveAttribute('data-health', 'ok', { timeout: 120_000 });
  });

  await test.step('Apps: install notes from the library with progress, open it, update, and see an automatic rollback in plain words', async () => {
    await page.getByRole('link', { name: 'Apps' }).click();
    await expect(page.getByRole('heading', { name: 'Apps', level: 1 })).toBeVisible();
    await expect(page.locator('[data-empty=installed]')).toHaveText('No apps yet — install one from the library below.');
    await publishNotes(ood, OWNER, PASSWORD, [undefined]);
    await page.getByRole('button', { name: 'Refresh' }).click();
    const library = page.locator('[data-library-app=notes]');
    await expect(library).toContainText('Plain notes kept in your zone');
    await screen(page, '13-apps-library');

    await page.getByRole('button', { name: 'Install notes' }).click();
    const notes = page.locator('[data-app=notes]');
    await expect(notes).toBeVisible();
    if (await notes.locator('[data-progress]').isVisible()) await shot(page, '14-apps-installing.light');
    await expect(notes).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
    await expect(notes).toHaveAttribute('data-version', '1.0.0');
    await screen(page, '15-apps-installed');

    const open = notes.getByRole('link', { name: 'Open' });
    const href = (await open.getAttribute('href'))!;
    expect(href).toBe(`http://${ood.host}:3180/apps/notes/`);
    expect((await page.request.get(href)).status()).toBe(200);

    await publishNotes(ood, OWNER, PASSWORD, ['1.1.0', '1.2.0']);
    await page.getByRole('button', { name: 'Refresh' }).click();
    await notes.getByLabel('Version to update notes to').selectOption('1.1.0');
    await notes.getByRole('button', { name: 'Update' }).click();
    await expect(notes).toHaveAttribute('data-version', '1.1.0', { timeout: 120_000 });
    await expect(notes).toHaveAttribute('data-state', 'running', { timeout: 120_000 });

    await notes.getByLabel('Version to update notes to').selectOption('1.2.0');
    await notes.getByRole('button', { name: 'Update' }).click();
    const rolledBack = notes.locator('[data-rollback]');
    await expect(rolledBack).toBeVisible({ timeout: 150_000 });
    await expect(rolledBack).toContainText('1.2.0 did not pass its health check');
    await expect(notes).toHaveAttribute('data-version', '1.1.0');
    await expect(notes).toHaveAttribute('data-state', 'rolled-back');
    await screen(page, '16-apps-rolled-back');
    await page.getByRole('link', { name: 'Home' }).click();
    await expect(page.locator('[data-count=apps] .num')).toHaveText('1');
  });

  await test.step('language: Chinese everywhere, remembered across a reload (the session too)', async () => {
    await page.getByLabel('Language').selectOption('zh');
    await expect(page.getByRole('heading', { name: '首页' })).toBeVisible();
    await screen(page, '09-home.zh');
    await page.reload();
    await expect(page.getByRole('heading', { name: '首页' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
    await page.getByLabel('语言').selectOption('en');
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  });

  await test.step('sign out, a wrong password in plain words, then sign in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await screen(page, '10-login');
    await page.getByLabel('Name').fill(OWNER);
    await page.getByLabel('Password').fill('not-my-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText('That name and password do not match.')).toBeVisible();
    await screen(page, '11-login-wrong');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
  });
});

test('repeated wrong passwords meet the lockout, said in plain words', async ({ page }) => {
  await page.goto(`http://${ood.host}:3180/`);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('Name').fill(OWNER);
  const notice = page.locator('[data-error-code]');
  for (let i = 0; i < 15; i++) {
    await page.getByLabel('Password').fill(`wrong-${i}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(notice).toBeVisible();
    if ((await notice.getAttribute('data-error-code')) === 'RATE_LIMITED') break;
  }
  await expect(notice).toHaveAttribute('data-error-code', 'RATE_LIMITED');
  await expect(page.getByText('sign-in is paused')).toBeVisible();
  await expect(notice).not.toContainText('RATE_LIMITED');
  await screen(page, '12-login-locked');
});
