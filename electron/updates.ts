// Desktop app updates (electron-updater): the stable or beta channel, downloaded in the background and
// verified by electron-updater (sha512 from the channel's signed-off latest*.yml, and the publisher's
// code signature on Windows and macOS), installed only when the person says so. Around the install the
// kernel is stopped gracefully (its apps with it; the data folder is never touched) and the new
// version starts a new kernel, which starts the apps again. A failed download changes nothing; a failed install restarts the
// kernel of the version still installed and says so in the tray.
import type { DesktopNotification } from './bridge.js';
import type { UpdateChannel } from './settings.js';
import { desktopEn, type DesktopTexts } from './texts.js';

/** The part of electron-updater's AppUpdater we use (so the flow is tested under Node). */
export interface Updater {
  channel: string | null;
  allowPrerelease: boolean;
  allowDowngrade: boolean;
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<unknown>;
  quitAndInstall(isSilent?: boolean, isForceRunAfter?: boolean): void;
  on(event: 'update-available' | 'update-downloaded', listener: (info: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export type UpdateStatus =
  | { kind: 'idle' }
  | { kind: 'downloading'; version: string }
  | { kind: 'ready'; version: string }
  | { kind: 'installing'; version: string }
  | { kind: 'failed'; error: string; version?: string };

export interface UpdateFlowOptions {
  updater: Updater;
  channel: UpdateChannel;
  kernel: { stop(): Promise<void>; start(): void };
  notify(n: DesktopNotification): void;
  onStatus(s: UpdateStatus): void;
  /** How long the app may still be running after quitAndInstall before the install counts as failed. */
  installTimeoutMs?: number;
  texts?: DesktopTexts;
}

export class UpdateFlow {
  private current: UpdateStatus = { kind: 'idle' };
  private get texts(): DesktopTexts['update'] {
    return (this.o.texts ?? desktopEn).update;
  }

  constructor(private readonly o: UpdateFlowOptions) {
    const u = o.updater;
    u.autoDownload = true;
    u.autoInstallOnAppQuit = false;
    this.setChannel(o.channel);
    u.on('update-available', (info) => {
      this.set({ kind: 'downloading', version: info.version });
      o.notify({ kind: 'update-available', title: this.texts.availableTitle(info.version), body: this.texts.availableBody, tag: `update:${info.version}` });
    });
    u.on('update-downloaded', (info) => this.set({ kind: 'ready', version: info.version }));
    u.on('error', (e) => {
      if (this.current.kind === 'installing') return;
      this.set({ kind: 'failed', error: e.message, version: 'version' in this.current ? this.current.version : undefined });
    });
  }

  status(): UpdateStatus {
    return this.current;
  }

  setChannel(channel: UpdateChannel): void {
    const u = this.o.updater;
    u.channel = channel === 'beta' ? 'beta' : 'latest';
    u.allowPrerelease = channel === 'beta';
    // Back from beta to stable waits for the next stable release rather than installing an older one.
    u.allowDowngrade = false;
  }

  async check(): Promise<void> {
    try {
      await this.o.updater.checkForUpdates();
    } catch (e) {
      this.set({ kind: 'failed', error: (e as Error).message });
    }
  }

  /** Stops the kernel, then hands over to the installer; if the app is still here after the timeout, the install failed. */
  async install(): Promise<void> {
    if (this.current.kind !== 'ready') return;
    const version = this.current.version;
    this.set({ kind: 'installing', version });
    await this.o.kernel.stop();
    try {
      this.o.updater.quitAndInstall(false, true);
    } catch (e) {
      return this.failInstall(version, (e as Error).message);
    }
    await new Promise((r) => setTimeout(r, this.o.installTimeoutMs ?? 60_000));
    if (this.status().kind === 'installing') this.failInstall(version, this.texts.noTakeover);
  }

  private failInstall(version: string, error: string): void {
    this.o.kernel.start();
    this.set({ kind: 'failed', version, error: this.texts.notInstalled(version, error) });
  }

  private set(s: UpdateStatus): void {
    this.current = s;
    this.o.onStatus(s);
  }
}
