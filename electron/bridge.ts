// The one bridge the desktop shell gives the control panel (window.buckyosDesktop), declared once: the
// preload implements it, the renderer imports it with `import type`. Types only, so the page never
// loads anything of the shell's; in a plain browser the bridge is simply absent.

/** What the zone wants the person to know even when the window is closed (it lives in the tray). */
export type DesktopNotificationKind = 'rollback' | 'device-waiting' | 'update-available' | 'info';

export interface DesktopNotification {
  kind: DesktopNotificationKind;
  title: string;
  body: string;
  /**
   * Identifies the event (e.g. `rollback:notes@1.2.0`): a notification with a tag already shown is not
   * shown again, so a page that reloads does not repeat it.
   */
  tag: string;
}

/** The top of the control panel's health checks (renderer/src/screens/home/checks), in the person's language. */
export interface ZoneHealthReport {
  status: 'ok' | 'warn' | 'bad';
  /** The first failing check's sentence; absent when all is well. */
  cause?: string;
}

export interface BuckyosDesktopBridge {
  /** The desktop app's version (package.json). */
  readonly version: string;
  /** Node's platform name of the machine: 'linux', 'darwin', 'win32', … */
  readonly platform: string;
  /** Shows an OS notification; false when it was refused (unknown kind, repeated tag, no OS support). */
  notify(n: DesktopNotification): Promise<boolean>;
  /** Opens an http(s) address in the person's browser; false for any other scheme. */
  openExternal(url: string): Promise<boolean>;
  /** Tells the tray how the zone is doing, as the panel's checks see it. */
  reportZoneHealth(report: ZoneHealthReport): void;
}

declare global {
  interface Window {
    /** Present only inside the desktop app. */
    buckyosDesktop?: BuckyosDesktopBridge;
  }
}
