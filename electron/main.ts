// The desktop app's main process: the thin adapter between Electron and the plain modules beside it
// (supervisor, window routing, tray state, origin allow-list, notifications, updates). It holds no zone
// logic: the zone is the kernel process it supervises, which tells it where the zone answers.
import {
  app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, session, shell, Tray, utilityProcess,
  type IpcMainEvent, type IpcMainInvokeEvent, type MenuItemConstructorOptions, type WebContents,
} from 'electron';
import electronUpdater from 'electron-updater';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../kernel/lib/paths.js';
import type { ZoneHealthReport } from './bridge.js';
import { BRIDGE, type BridgeInfo } from './ipc.js';
import { isFromKernel } from './kernel-protocol.js';
import { kernelArgv } from './node-child.js';
import { NotificationPolicy } from './notifications.js';
import { contentSecurityPolicy, isZoneUrl, mayOpenExternally, navigationVerdict, zoneOrigins } from './origins.js';
import { linuxAutostartEntry, loadSettings, saveSettings, type DesktopSettings } from './settings.js';
import { KernelSupervisor, type KernelChild, type KernelState } from './supervisor.js';
import { desktopTexts, type DesktopTexts } from './texts.js';
import { trayState } from './tray-state.js';
import { UpdateFlow, type UpdateStatus } from './updates.js';
import { deepLinkFromArgv, deepLinkRoute, mustReroute, windowTarget } from './window-route.js';

const here = fileURLToPath(new URL('.', import.meta.url));
// dist/electron/ in the app (built by scripts/build-electron.mjs); the app root two levels up.
const appRoot = join(here, '..', '..');
// The panel's files sit unpacked beside app.asar in an installed app, so the kernel reads them with plain fs.
const staticDir = app.isPackaged ? join(process.resourcesPath, 'app.asar.unpacked', 'dist', 'renderer') : join(appRoot, 'dist', 'renderer');
const iconFile = app.isPackaged ? join(process.resourcesPath, 'icon.png') : join(appRoot, 'installers', 'icon.png');
// Electron's own folder (Chromium's profile, the app's preferences) is named apart from the zone's data
// folder, which on macOS would otherwise be the same ~/Library/Application Support/BuckyOS.
app.setPath('userData', join(app.getPath('appData'), 'BuckyOS Desktop'));
const settingsFile = join(app.getPath('userData'), 'desktop-settings.json');
const dataDir = defaultDataDir();
/** The address the zone binds (default 127.0.0.1); a LAN address lets other devices join. */
const host = process.env.BUCKYOS_HOST || undefined;
const startHidden = process.argv.includes('--hidden');

// A second launch (or a buckyos:// link, or a double-clicked .pkg) focuses the first instance's window.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setAsDefaultProtocolClient('buckyos');
  void run();
}

async function run(): Promise<void> {
  let settings: DesktopSettings = await loadSettings(settingsFile);
  let window: BrowserWindow | undefined;
  let tray: Tray | undefined;
  let quitting = false;
  let pendingRoute: string | undefined = deepLinkFromArgv(process.argv);
  let health: { report: ZoneHealthReport; at: number } | undefined;
  let updateStatus: UpdateStatus = { kind: 'idle' };
  const notifications = new NotificationPolicy();
  let trayMenu: MenuItemConstructorOptions[] = [];
  // The OS's languages are known once the app is ready; the shell's few lines follow them (English until then).
  let texts: DesktopTexts = desktopTexts([]);

  const allowedOrigins = () => {
    const s = supervisor.state();
    return s.kind === 'activating' || s.kind === 'running' ? zoneOrigins(s.addresses) : [];
  };

  const supervisor = new KernelSupervisor({
    spawn: spawnKernel,
    onState: (s) => {
      routeWindow(s);
      refreshTray();
    },
  });

  function spawnKernel(): KernelChild {
    const child = utilityProcess.fork(join(here, 'kernel-process.mjs'), kernelArgv({ dataDir, host, staticDir }), { serviceName: 'BuckyOS kernel', stdio: 'inherit' });
    return {
      get pid() { return child.pid; },
      send: (m) => child.postMessage(m),
      kill: () => { child.kill(); },
      onMessage: (listener) => { child.on('message', (m: unknown) => { if (isFromKernel(m)) listener(m); }); },
      onExit: (listener) => { child.once('exit', (code) => listener(code, null)); },
    };
  }

  function showWaiting(reason: string): void {
    const html = `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>BuckyOS</title><body style="font:16px system-ui;display:grid;place-items:center;height:90vh;color:#444"><p>${reason.replace(/[<&>]/g, '')}</p>`;
    void window?.loadURL(`data:text/html;charset=utf-8,${encodeURIComponent(html)}`);
  }

  function routeWindow(s: KernelState, force = false): void {
    if (!window) return;
    const target = windowTarget(s, s.kind === 'running' ? pendingRoute : undefined, texts);
    if (!force && !mustReroute(window.webContents.getURL(), target)) return;
    if (target.kind === 'waiting') return showWaiting(target.reason);
    if (s.kind === 'running') pendingRoute = undefined;
    void window.loadURL(target.url);
  }

  function openWindow(): void {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return;
    }
    window = new BrowserWindow({
      width: 1180, height: 800, minWidth: 720, minHeight: 520, show: false, title: 'BuckyOS', icon: iconFile,
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webviewTag: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        spellcheck: false,
        preload: join(here, 'preload.cjs'),
      },
    });
    window.once('ready-to-show', () => window?.show());
    // Closing the window keeps the zone running in the tray; Quit is in the tray's menu.
    window.on('close', (e) => {
      if (quitting) return;
      e.preventDefault();
      window?.hide();
    });
    window.on('closed', () => { window = undefined; });
    routeWindow(supervisor.state(), true);
  }

  function openRoute(route: string): void {
    pendingRoute = route;
    openWindow();
    const s = supervisor.state();
    if (s.kind === 'running') routeWindow(s, true);
  }

  // Electron's checklist: every web contents is locked to the zone's origins; others go to the OS browser.
  app.on('web-contents-created', (_e, contents: WebContents) => {
    contents.on('will-navigate', (e, url) => guardNavigation(e, url));
    contents.on('will-redirect', (e, url) => guardNavigation(e, url));
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const verdict = navigationVerdict(url, allowedOrigins());
      if (verdict === 'open-externally') void shell.openExternal(url);
      else if (verdict === 'allow') void window?.loadURL(url);
      return { action: 'deny' };
    });
  });

  function guardNavigation(e: { preventDefault(): void }, url: string): void {
    const verdict = navigationVerdict(url, allowedOrigins());
    if (verdict === 'allow') return;
    e.preventDefault();
    if (verdict === 'open-externally') void shell.openExternal(url);
  }

  function secureSession(): void {
    const ses = session.defaultSession;
    ses.webRequest.onHeadersReceived((details, callback) => {
      const headers = { ...details.responseHeaders };
      if (isZoneUrl(details.url, allowedOrigins())) headers['Content-Security-Policy'] = [contentSecurityPolicy(allowedOrigins())];
      callback({ responseHeaders: headers });
    });
    // The panel may use the camera (scanning a device's QR code), notifications and the clipboard; nothing else.
    const permitted = new Set(['media', 'notifications', 'clipboard-sanitized-write']);
    ses.setPermissionRequestHandler((contents, permission, callback) => callback(permitted.has(permission) && isZoneUrl(contents.getURL(), allowedOrigins())));
    ses.setPermissionCheckHandler((_contents, permission, origin) => permitted.has(permission) && allowedOrigins().includes(origin));
  }

  /** The bridge answers only the zone's own pages in the main frame. */
  function fromZone(e: IpcMainInvokeEvent | IpcMainEvent): boolean {
    const frame = e.senderFrame;
    return !!frame && frame === e.sender.mainFrame && isZoneUrl(frame.url, allowedOrigins());
  }

  function registerBridge(): void {
    ipcMain.on(BRIDGE.info, (e) => {
      const info: BridgeInfo = { version: app.getVersion(), platform: process.platform };
      e.returnValue = info;
    });
    ipcMain.handle(BRIDGE.notify, (e, n: unknown) => (fromZone(e) ? showNotification(n) : false));
    ipcMain.handle(BRIDGE.openExternal, async (e, url: unknown) => {
      if (!fromZone(e) || typeof url !== 'string' || !mayOpenExternally(url)) return false;
      await shell.openExternal(url);
      return true;
    });
    ipcMain.on(BRIDGE.reportZoneHealth, (e, r: unknown) => {
      if (!fromZone(e) || typeof r !== 'object' || r === null) return;
      const { status, cause } = r as Record<string, unknown>;
      if (status !== 'ok' && status !== 'warn' && status !== 'bad') return;
      health = { report: { status, ...(typeof cause === 'string' && cause ? { cause: cause.slice(0, 200) } : {}) }, at: Date.now() };
      refreshTray();
    });
  }

  function showNotification(n: unknown): boolean {
    const admitted = notifications.admit(n);
    if (!admitted || !Notification.isSupported()) return false;
    const note = new Notification({ title: admitted.title, body: admitted.body, icon: iconFile });
    note.on('click', () => (admitted.kind === 'device-waiting' ? openRoute('/#/devices') : admitted.kind === 'rollback' ? openRoute('/#/apps') : openWindow()));
    note.show();
    return true;
  }

  async function setOpenAtLogin(on: boolean): Promise<void> {
    settings = { ...settings, openAtLogin: on };
    await saveSettings(settingsFile, settings);
    if (process.platform === 'linux') {
      const file = join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart', 'buckyos.desktop');
      if (on) {
        await mkdir(join(file, '..'), { recursive: true });
        await writeFile(file, linuxAutostartEntry(process.env.APPIMAGE ?? process.execPath));
      } else {
        await rm(file, { force: true });
      }
    } else {
      app.setLoginItemSettings({ openAtLogin: on, args: ['--hidden'] });
    }
    refreshTray();
  }

  /**
   * Quit stops the zone on this computer, and its apps with it (the kernel's node-daemon stops what it
   * started; the next start runs them again). Staying in the tray is how the apps keep running, so
   * that is what the question offers.
   */
  async function quit(): Promise<void> {
    const { response } = await dialog.showMessageBox({
      type: 'question',
      message: texts.quit.message,
      detail: texts.quit.detail,
      buttons: [texts.quit.keep, texts.quit.stop],
      defaultId: 0,
      cancelId: 0,
    });
    if (response !== 1) return;
    quitting = true;
    await supervisor.stop({ stopApps: true });
    app.quit();
  }

  function updateMenuItem(): MenuItemConstructorOptions | undefined {
    switch (updateStatus.kind) {
      case 'ready': return { label: texts.menu.restartToUpdate(updateStatus.version), click: () => void updates?.install() };
      case 'downloading': return { label: texts.menu.downloading(updateStatus.version), enabled: false };
      case 'installing': return { label: texts.menu.installing(updateStatus.version), enabled: false };
      case 'failed': return { label: texts.menu.updateFailed(updateStatus.error).slice(0, 90), enabled: false };
      case 'idle': return undefined;
    }
  }

  function refreshTray(): void {
    if (!tray) return;
    const t = trayState({ kernel: supervisor.state(), health, now: Date.now(), texts });
    tray.setToolTip(t.label);
    const update = updateMenuItem();
    trayMenu = [
      { label: t.label, enabled: false },
      { type: 'separator' },
      { label: texts.menu.open, click: openWindow },
      { label: texts.menu.startAtLogin, type: 'checkbox', checked: settings.openAtLogin, click: (item) => void setOpenAtLogin(item.checked) },
      { label: texts.menu.betaUpdates, type: 'checkbox', checked: settings.updateChannel === 'beta', click: (item) => void setChannel(item.checked) },
      ...(update ? [update] : []),
      { type: 'separator' },
      { label: texts.menu.quit, click: () => void quit() },
    ];
    tray.setContextMenu(Menu.buildFromTemplate(trayMenu));
  }

  let updates: UpdateFlow | undefined;
  async function setChannel(beta: boolean): Promise<void> {
    settings = { ...settings, updateChannel: beta ? 'beta' : 'stable' };
    await saveSettings(settingsFile, settings);
    updates?.setChannel(settings.updateChannel);
    void updates?.check();
  }

  function startUpdates(): void {
    // Updates apply to an installed app only (a checkout updates with git).
    if (!app.isPackaged) return;
    updates = new UpdateFlow({
      updater: electronUpdater.autoUpdater,
      channel: settings.updateChannel,
      kernel: { stop: () => supervisor.stop({ stopApps: false }), start: () => supervisor.start() },
      texts,
      notify: (n) => { showNotification(n); },
      onStatus: (s) => {
        updateStatus = s;
        if (s.kind === 'installing') quitting = true;
        if (s.kind === 'failed') quitting = false;
        refreshTray();
      },
    });
    void updates.check();
    setInterval(() => void updates?.check(), 6 * 3600_000).unref();
  }

  // A second launch, a link or a file while running: focus the window, at the link's page if any.
  app.on('second-instance', (_e, argv) => {
    const route = deepLinkFromArgv(argv);
    if (route) openRoute(route);
    else openWindow();
  });
  app.on('open-url', (e, url) => {
    e.preventDefault();
    const route = deepLinkRoute(url);
    if (route) openRoute(route);
  });
  app.on('open-file', (e, file) => {
    e.preventDefault();
    const route = deepLinkRoute(file);
    if (route) openRoute(route);
  });
  // The zone lives in the tray: no window open is not a reason to quit.
  app.on('window-all-closed', () => {});
  app.on('activate', openWindow);
  app.on('before-quit', (e) => {
    if (quitting) return;
    e.preventDefault();
    void quit();
  });

  // The e2e (e2e/desktop.e2e.ts) drives the tray through this: a test cannot click an OS tray menu.
  if (process.env.BUCKYOS_E2E === '1') {
    Object.assign(globalThis, {
      buckyosE2e: {
        trayItems: () => trayMenu.map((i) => i.label ?? ''),
        clickTray: (label: string) => {
          const item = trayMenu.find((i) => i.label === label);
          (item?.click as (() => void) | undefined)?.();
          return !!item;
        },
        kernel: () => supervisor.state(),
      },
    });
  }

  await app.whenReady();
  texts = desktopTexts(app.getPreferredSystemLanguages());
  secureSession();
  registerBridge();
  tray = new Tray(nativeImage.createFromPath(iconFile).resize({ width: 16, height: 16 }));
  tray.on('click', openWindow);
  supervisor.start();
  refreshTray();
  startUpdates();
  if (!startHidden) openWindow();
}
