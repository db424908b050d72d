// The desktop app's bridge (electron/bridge.ts, present only inside the app) as the panel uses it:
// the tray learns the Home checks' verdict, and the OS shows a notification for a rollback or a device
// waiting for approval. In a plain browser every call here does nothing.
import type { BuckyosDesktopBridge, DesktopNotification, ZoneHealthReport } from '../../../electron/bridge';
import type { ZoneOverview } from '../api/kernel-types';
import type { CheckResult } from '../screens/home/checks/check';

type Translate = (key: string, values?: Record<string, string | number>) => string;

export function desktopBridge(): BuckyosDesktopBridge | undefined {
  return (globalThis as { buckyosDesktop?: BuckyosDesktopBridge }).buckyosDesktop;
}

/** The checks' verdict with the first failing check's sentence (bad before warn), for the tray. */
export function healthReport(checks: { result: CheckResult }[], t: Translate): ZoneHealthReport {
  const top = checks.find((c) => c.result.status === 'bad') ?? checks.find((c) => c.result.status === 'warn');
  if (!top) return { status: 'ok' };
  return { status: top.result.status, cause: t(top.result.what, top.result.values) };
}

/** One notification per app the zone rolled back (tagged by app, so each is shown once). */
export function rollbackNotifications(apps: ZoneOverview['apps'], t: Translate): DesktopNotification[] {
  return apps.filter((a) => a.state === 'rolled-back').map((a) => ({
    kind: 'rollback', tag: `rollback:${a.owner}/${a.id}`,
    title: t('desktop.rollbackTitle', { app: a.id }), body: t('desktop.rollbackBody'),
  }));
}

/** For the Devices screen: a device asking to join (tagged by its key fingerprint). */
export function deviceWaitingNotification(device: { name: string; fingerprint: string }, t: Translate): DesktopNotification {
  return { kind: 'device-waiting', tag: `device:${device.fingerprint}`, title: t('desktop.waitingTitle', { device: device.name }), body: t('desktop.waitingBody') };
}

/** After Home has run its checks: tell the tray, and notify rollbacks. */
export function reportToDesktop(overview: ZoneOverview, checks: { result: CheckResult }[], t: Translate, bridge = desktopBridge()): void {
  if (!bridge) return;
  bridge.reportZoneHealth(healthReport(checks, t));
  for (const n of rollbackNotifications(overview.apps, t)) void bridge.notify(n);
}
