// Where the window goes: the activation wizard while the device is unactivated, the control panel
// once the zone runs, a waiting page while the kernel starts or restarts. Deep links (buckyos://
// pairing links, a double-clicked .pkg) become a route inside the panel.
import type { KernelState } from './supervisor.js';

export type WindowTarget =
  | { kind: 'zone'; url: string }
  /** No zone address yet: the shell shows its own short status page with this text. */
  | { kind: 'waiting'; reason: string };

export function windowTarget(state: KernelState, deepLink?: string): WindowTarget {
  switch (state.kind) {
    case 'activating':
      return { kind: 'zone', url: state.addresses.wizardUrl };
    case 'running':
      return { kind: 'zone', url: deepLink ? new URL(deepLink, state.addresses.panelUrl).href : state.addresses.panelUrl };
    case 'starting':
      return { kind: 'waiting', reason: 'Starting your zone…' };
    case 'restarting':
      return { kind: 'waiting', reason: `The zone stopped (${state.lastExit}); restarting in ${Math.ceil(state.inMs / 1000)} s…` };
    case 'stopping':
      return { kind: 'waiting', reason: 'Stopping your zone…' };
    case 'stopped':
      return { kind: 'waiting', reason: 'Your zone is stopped.' };
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
 * A panel route for what the OS handed the app: `buckyos://join?…` (a device's pairing link: the
 * Devices screen's join page) or the path of a `.pkg` (the Apps screen's install page). Anything
 * else gives undefined and is ignored.
 */
export function deepLinkRoute(arg: string): string | undefined {
  if (/^buckyos:\/\//i.test(arg)) {
    let u: URL;
    try {
      u = new URL(arg);
    } catch {
      return undefined;
    }
    const action = (u.hostname || u.pathname.replace(/^\/+/, '').split('/')[0]).toLowerCase();
    if (action !== 'join' && action !== 'pair') return undefined;
    return `/#/devices?join=${encodeURIComponent(arg)}`;
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
