// Where the window goes: the activation wizard while the device is unactivated, the control panel
// once the zone runs, a waiting page while the kernel starts or restarts. Deep links (buckyos://
// pairing links, a double-clicked .pkg) become a route inside the panel.
import { parsePairingUrl } from '../kernel/api/devices.js';
import type { KernelState } from './supervisor.js';
import { desktopEn, type DesktopTexts } from './texts.js';

export type WindowTarget =
  | { kind: 'zone'; url: string }
  /** No zone address yet: the shell shows its own short status page with this text. */
  | { kind: 'waiting'; reason: string };

export function windowTarget(state: KernelState, deepLink?: string, texts: DesktopTexts = desktopEn): WindowTarget {
  const t = texts.window;
  switch (state.kind) {
    case 'activating':
      return { kind: 'zone', url: state.addresses.wizardUrl };
    case 'running':
      return { kind: 'zone', url: deepLink ? new URL(deepLink, state.addresses.panelUrl).href : state.addresses.panelUrl };
    case 'starting':
      return { kind: 'waiting', reason: t.starting };
    case 'restarting':
      return { kind: 'waiting', reason: t.restartingIn(Math.ceil(state.inMs / 1000)) };
    case 'stopping':
      return { kind: 'waiting', reason: t.stopping };
    case 'stopped':
      return { kind: 'waiting', reason: t.stopped };
  }
}

/**
 * Whether a window showing `currentUrl` must be sent to `target` when the kernel changes state. The
 * shell's waiting page (a data: URL) and an empty window always move; a zone page is left alone while
 * the zone answers (the wizard hands over to the panel by itself, with the new session) and replaced
 * by the waiting page when the zone goes away.
 */
export function mustReroute(currentUrl: string | undefined, target: WindowTarget): boolean {
  const onZonePage = currentUrl !== undefined && currentUrl !== '' && !currentUrl.startsWith('data:');
  return target.kind === 'waiting' ? onZonePage : !onZonePage;
}

/**
 * A panel route for what the OS handed the app: a device's pairing link (`buckyos://join?…`, checked
 * with the zone's own parser, kernel/api/devices.ts) opens the Devices screen's join page; the path of
 * a `.pkg` opens the Apps screen's install page. Anything else gives undefined and is ignored.
 */
export function deepLinkRoute(arg: string): string | undefined {
  if (/^buckyos:/i.test(arg)) {
    const parsed = parsePairingUrl(arg);
    return parsed.ok ? `/#/devices?join=${encodeURIComponent(arg.trim())}` : undefined;
  }
  if (/\.pkg$/i.test(arg) && !arg.startsWith('-')) return `/#/apps?install=${encodeURIComponent(arg)}`;
  return undefined;
}

/** The first deep link among a (second) launch's command-line arguments. */
export function deepLinkFromArgv(argv: readonly string[]): string | undefined {
  for (const a of argv.slice(1)) {
    const route = deepLinkRoute(a);
    if (route) return route;
  }
  return undefined;
}
