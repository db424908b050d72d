// The Devices screen against a real OOD and a real headless node (`buckyos node`). The home cloud is set
// up in the page's wizard, which also signs the main server's enrolment delegation, so from day one the
// node is paired by the QR code it prints (read through Chromium's fake camera, an MJPEG made from the
// node's QR) and approved in three clicks from the list without the recovery words, listed online, then
// removed with the confirm, after which the node itself returns to waiting with a new key. The owner
// withdraws the delegation on the screen (with a confirm); the screen then explains it and the owner
// gives it again with the recovery words (invalid words and another owner's words refused). Pasted text
// that is not a pairing code is refused in plain words; the add page shows a QR a phone can scan. Every screen is scanned by axe and saved as e2e/artifacts/devices-*.png in English and
// Chinese, light and dark.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import QRCode from 'qrcode';
import { chromium, expect, test, type Page } from '@playwright/test';
import { buckyos, expectAccessible, randomLoopback, shot, startOod, waitForPort, type Ood } from './kernel';

const OWNER = 'alice';
const PASSWORD = 'Sunny-garden-42';
const root = resolve(import.meta.dirname, '..');
const fakeVideo = join(root, 'e2e', 'artifacts', 'devices-camera.mjpeg');

// A camera that films the node's QR code (written in beforeAll, read when the page opens the camera).
test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${fakeVideo}`],
  },
});
test.describe.configure({ mode: 'serial' });

let ood: Ood;
let words = '';
let node: ChildProcess | undefined;
let nodeDir = '';
let nodeOutput = '';
const nodeHost = randomLoopback();

test.beforeAll(async () => {
  test.setTimeout(180_000);
  ood = await startOod();
  await waitForPort(ood.host, 3182);
  nodeDir = await mkdtemp(join(tmpdir(), 'buckyos-e2e-node-'));
  node = spawn(process.execPath, [join(root, 'bin', 'buckyos.js'), 'node', '--data', nodeDir, '--host', nodeHost], {
    env: { ...process.env, BUCKYOS_LOG_LEVEL: 'warn', BUCKYOS_REPORT_INTERVAL_MS: '2000' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  node.stdout!.on('data', (d) => (nodeOutput += d));
  node.stderr!.on('data', (d) => (nodeOutput += d));
  await waitForPort(nodeHost, 3182);
});

test.afterAll(async () => {
  if (node && node.exitCode === null && node.signalCode === null) {
    await new Promise<void>((r) => { node!.once('exit', () => r()); node!.kill('SIGTERM'); });
  }
  await rm(nodeDir, { recursive: true, force: true });
  await ood?.remove();
});

/** The node's pairing URL: what it prints in the terminal under its QR code. */
async function pairingUrl(): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const printed = /buckyos:\/\/join\?\S+/.exec(nodeOutput)?.[0];
    if (printed) return printed;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the node printed no buckyos://join? URL:\n${nodeOutput.slice(-800)}`);
}

/** The key fingerprint the node's enrolment API shows (undefined while it is not waiting to join). */
async function waitingFingerprint(): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${nodeHost}:3182/device`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? ((await r.json()) as { join_code?: string }).join_code : undefined;
  } catch {
    return undefined;
  }
}

/** An MJPEG of the QR code, made by Chromium itself (a screenshot of the code on a 640×480 white page). */
async function makeCameraFile(text: string): Promise<void> {
  const png = await QRCode.toDataURL(text, { margin: 2, width: 400 });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 640, height: 480 } });
    await page.setContent(`<body style="margin:0;background:#fff;display:flex;align-items:center;justify-content:center;height:480px"><img src="${png}" width="400" height="400"></body>`);
    const frame = await page.screenshot({ type: 'jpeg', quality: 95 });
    await writeFile(fakeVideo, Buffer.concat([frame, frame, frame, frame]));
  } finally {
    await browser.close();
  }
}

/** axe, then a screenshot, in light and dark. */
async function screen(page: Page, name: string) {
  await expectAccessible(page, name);
  await shot(page, `devices-${name}.light`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, `${name} (dark)`);
  await shot(page, `devices-${name}.dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

const cli = (...args: string[]) => buckyos([...args, '--zone', `http://${ood.host}:3180`, '--user', OWNER, '--password', PASSWORD]);
const delegationState = async () => (JSON.parse(await cli('devices', 'list', '--json')) as { delegation: { state: string } }).delegation.state;

async function signIn(page: Page) {
  await page.goto(`http://${ood.host}:3180/`);
  await page.getByLabel('Name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('[data-screen="home"]')).toBeVisible();
}

test('set up in the page: the wizard also lets the main server add devices, so none is asked for later', async ({ page }) => {
  test.setTimeout(300_000);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`http://${ood.host}:3182/`);
  await page.getByLabel('Your name').fill(OWNER);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Your recovery words' })).toBeVisible();
  words = (await page.locator('[data-word-index]').allTextContents()).map((t) => t.replace(/^\d+\./, '').trim()).join(' ');
  expect(words.split(' ')).toHaveLength(12);
  await page.getByRole('button', { name: 'I have written them down' }).click();
  const inputs = page.locator('[data-check-position]');
  await expect(inputs).toHaveCount(3);
  for (let i = 0; i < 3; i++) await inputs.nth(i).fill(words.split(' ')[Number(await inputs.nth(i).getAttribute('data-check-position'))]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Name of your home cloud').fill('home');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Type the password again').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();

  // The review says what the main server may do, ticked by default.
  await expect(page.getByRole('heading', { name: 'Ready to set up' })).toBeVisible();
  const delegate = page.getByLabel(/Let the main server add devices I approve/);
  await expect(delegate).toBeChecked();
  await screen(page, 'wizard-review.en');
  await page.getByRole('button', { name: 'Set up my home cloud' }).click();
  await page.waitForURL(`http://${ood.host}:3180/**`, { timeout: 180_000 });
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible({ timeout: 60_000 });

  // The delegation is in force from the first boot: the Devices screen asks for nothing.
  expect(await delegationState()).toBe('active');
  await page.getByRole('link', { name: 'Devices' }).click();
  await expect(page.locator('[data-device="ood1"]')).toBeVisible();
  await expect(page.locator('[data-delegation]')).toHaveCount(0);
});

test('the Devices screen lists the main server with its state, type and what runs on it', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page);
  await page.getByRole('link', { name: 'Devices' }).click();
  const main = page.locator('[data-device="ood1"]');
  await expect(main).toBeVisible();
  await expect(main).toHaveAttribute('data-state', 'online');
  await expect(main.getByText('Main server')).toBeVisible();
  await expect(main.getByText(/Last seen/)).toBeVisible();
  await expect(main.getByText(/PC \(x86-64\)|ARM \(64-bit\)/)).toBeVisible();
  await expect(main.getByRole('progressbar', { name: 'Memory of ood1' })).toBeVisible();
  await screen(page, 'list.en');

  await main.getByRole('link', { name: 'Details of ood1' }).click();
  await expect(page.locator('[data-device-page="ood1"]')).toBeVisible();
  await expect(page.getByText('The main server cannot be removed')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove this device' })).toHaveCount(0);
  await screen(page, 'detail-main.en');
});

test('pair the node by its QR code through the camera, approve it, see it listed, remove it', async ({ page }) => {
  test.setTimeout(180_000);
  const url = await pairingUrl();
  const firstFingerprint = await waitingFingerprint();
  expect(firstFingerprint).toMatch(/^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$/);
  await makeCameraFile(url);
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page);
  await page.getByRole('link', { name: 'Devices' }).click();
  await expect(page.locator('[data-device="ood1"]')).toBeVisible();
  // Click 1 of 3.
  await page.getByRole('link', { name: 'Add a device' }).click();
  await expect(page.locator('[data-screen="add-device"]')).toBeVisible();
  await expect(page.locator('[data-phone-qr]')).toHaveAttribute('data-phone-qr', `http://${ood.host}:3180/`);
  await expect(page.getByRole('img', { name: /QR code for/ })).toBeVisible();
  // The main server listens on a loopback address only, so it does not look on the network; it says so.
  await expect(page.getByText('Your main server does not look for devices on the network')).toBeVisible();

  // Text that is not a pairing code is refused in plain words, nothing else happens.
  await page.getByLabel(/Text under the code/).fill('https://example.com/not-a-device');
  await page.getByRole('button', { name: 'Read', exact: true }).click();
  await expect(page.getByText('This is not a BuckyOS pairing code.')).toBeVisible();
  await screen(page, 'add.en');

  // Click 2 of 3.
  await page.getByRole('button', { name: 'Scan with the camera' }).click();
  const form = page.locator('[data-approve]');
  await expect(form).toBeVisible({ timeout: 30_000 });
  await expect(page.locator('[data-camera]')).toHaveCount(0);
  await expect(form).toHaveAttribute('data-approve', firstFingerprint!);
  await screen(page, 'approve.en');
  await form.getByLabel('Its name in your home cloud').fill('nas');
  // Click 3 of 3.
  await form.getByRole('button', { name: 'Add to my home cloud' }).click();
  await expect(page.locator('[data-added="nas"]')).toBeVisible({ timeout: 60_000 });
  await screen(page, 'added.en');

  await page.getByRole('link', { name: 'See all devices' }).click();
  const nas = page.locator('[data-device="nas"]');
  await expect(nas).toBeVisible();
  await expect(nas).toHaveAttribute('data-state', 'online', { timeout: 60_000 });
  await screen(page, 'list-two.en');

  // The same screens in Chinese.
  await page.getByLabel('Language').selectOption('zh');
  await expect(page.getByRole('heading', { name: '设备', level: 1 })).toBeVisible();
  await screen(page, 'list-two.zh');
  await nas.getByRole('link', { name: 'nas 的详情' }).click();
  await expect(page.locator('[data-device-page="nas"]')).toBeVisible();
  await screen(page, 'detail-node.zh');
  await page.getByLabel('语言').selectOption('en');

  // Remove, with the consequence spelled out and the choice to keep or erase its files.
  await page.getByRole('button', { name: 'Remove this device' }).click();
  const confirm = page.locator('[data-confirm="remove"]');
  await expect(confirm.getByText('nas will no longer reach your apps and files')).toBeVisible();
  await expect(confirm.getByLabel(/Keep the files on the device/)).toBeChecked();
  await screen(page, 'remove.en');
  await confirm.getByRole('button', { name: 'Remove nas' }).click();
  await expect(page.locator('[data-removed]')).toContainText('nas was removed');
  await page.getByRole('link', { name: 'All devices' }).click();
  await expect(page.locator('[data-device="ood1"]')).toBeVisible();
  await expect(page.locator('[data-device="nas"]')).toHaveCount(0);
  // The node heard of its removal: it is waiting to join again, with a new key.
  await expect.poll(waitingFingerprint, { timeout: 90_000, intervals: [1000] }).toMatch(/^[A-Z2-7]{4}-/);
  expect(await waitingFingerprint()).not.toBe(firstFingerprint);
});

test('the owner withdraws the delegation in the panel; the screen explains it and the owner gives it again with the recovery words', async ({ page }) => {
  expect(await delegationState()).toBe('active');
  await page.emulateMedia({ colorScheme: 'light' });
  await signIn(page);
  await page.getByRole('link', { name: 'Devices' }).click();
  // In force: until when, and a way to withdraw it that asks first and says what changes.
  const inForce = page.locator('[data-delegation-in-force]');
  await expect(inForce.getByText(/may add the devices you approve here until \w+ \d+, \d{4}/)).toBeVisible();
  await inForce.getByRole('button', { name: 'Withdraw this permission…' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Withdraw your main server\'s permission to add devices?' });
  // The node added under it was removed above, so withdrawing it cuts off no device.
  await expect(ask.getByText('No device was added with it.', { exact: false })).toBeVisible();
  await screen(page, 'delegation-withdraw.en');
  await page.getByLabel('Language').selectOption('zh');
  await expect(page.getByRole('alertdialog', { name: '撤回主服务器添加设备的授权？' })).toBeVisible();
  await screen(page, 'delegation-withdraw.zh');
  await page.getByLabel('语言').selectOption('en');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  expect(await delegationState()).toBe('active');
  await inForce.getByRole('button', { name: 'Withdraw this permission…' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Withdraw permission' }).click();
  // Withdrawn: its id goes on the revocation list and the main server forgets it and makes a new
  // enrolment key, so the zone has none.
  const notice = page.locator('[data-delegation="missing"]');
  await expect(notice).toBeVisible();
  await expect(inForce).toHaveCount(0);
  expect(await delegationState()).toBe('missing');
  await expect(notice).toBeVisible();
  await expect(notice.getByText(/your main server needs your permission once/)).toBeVisible();
  await screen(page, 'delegation.en');
  await page.getByLabel('Language').selectOption('zh');
  await expect(page.getByRole('heading', { name: '让主服务器为你添加设备' })).toBeVisible();
  await screen(page, 'delegation.zh');
  await page.getByLabel('语言').selectOption('en');
  await notice.getByRole('button', { name: 'Give permission…' }).click();
  const field = notice.getByLabel('Your 12 recovery words');
  // Not recovery words: refused in the page, nothing sent.
  await field.fill('these are not words');
  await notice.getByRole('button', { name: 'Give permission' }).click();
  await expect(notice.getByText('These are not 12 valid recovery words.', { exact: false })).toBeVisible();
  // Valid words of someone else: the main server refuses the signature.
  await field.fill('legal winner thank year wave sausage worth useful legal winner thank yellow');
  await notice.getByRole('button', { name: 'Give permission' }).click();
  await expect(notice.getByText('These recovery words do not belong to the owner of this home cloud.')).toBeVisible();
  await screen(page, 'delegation-wrong.en');
  expect(await delegationState()).toBe('missing');
  // The owner's words: the permission is signed here and handed to the main server.
  await field.fill(words);
  await notice.getByRole('button', { name: 'Give permission' }).click();
  await expect(page.locator('[data-delegation="given"]')).toBeVisible();
  expect(await delegationState()).toBe('active');
  await page.reload();
  await expect(page.locator('[data-device="ood1"]')).toBeVisible();
  await expect(page.locator('[data-delegation]')).toHaveCount(0);
  await expect(page.locator('[data-delegation-in-force]')).toBeVisible();
});

test('the add page in Chinese, light and dark; a code read from a picture', async ({ page }) => {
  await signIn(page);
  await page.getByLabel('Language').selectOption('zh');
  await page.goto(`http://${ood.host}:3180/#/devices/add`);
  await expect(page.getByRole('heading', { name: '添加设备', level: 1 })).toBeVisible();
  await expect(page.getByRole('img', { name: /的二维码/ })).toBeVisible();
  await screen(page, 'add.zh');

  // A photo of a device's code: read by jsQR in the page; the form shows what it found.
  const url = 'buckyos://join?v=1&url=http%3A%2F%2F192.168.1.30%3A3182&fp=ABCD-EFGH-2345&code=WXYZ-7654&name=nas';
  const png = Buffer.from((await QRCode.toDataURL(url, { margin: 4, width: 600 })).split(',')[1], 'base64');
  await page.locator('[data-input="qr-image"]').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: png });
  const form = page.locator('[data-approve="ABCD-EFGH-2345"]');
  await expect(form).toBeVisible();
  await expect(page.getByText('找到 nas，地址 192.168.1.30:3182。')).toBeVisible();
  await expect(form.getByLabel('它在家庭云中的名称')).toHaveValue('nas');
  await screen(page, 'approve.zh');
  await form.getByRole('button', { name: '取消' }).click();

  // A picture without a code says so.
  const plain = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 200;
    c.height = 200;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 200, 200);
    return c.toDataURL('image/png').split(',')[1];
  });
  await page.locator('[data-input="qr-image"]').setInputFiles({ name: 'wall.png', mimeType: 'image/png', buffer: Buffer.from(plain, 'base64') });
  await expect(page.getByText('这张图片中没有找到二维码')).toBeVisible();
  await page.getByLabel('语言').selectOption('en');
});
