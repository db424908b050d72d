// Which addresses the window may show and the bridge may serve: only the zone's own origins, as the
// kernel reported them (the wizard's and the control panel's). Everything else http(s) opens in the
// person's browser; any other scheme (file:, javascript:, data:, custom ones) goes nowhere.
import type { KernelAddresses } from './kernel-protocol.js';

export type NavigationVerdict = 'allow' | 'open-externally' | 'deny';

/** The origins of the kernel's addresses (scheme, host and port exactly; no wildcards). */
export function zoneOrigins(addresses: KernelAddresses | undefined): string[] {
  if (!addresses) return [];
  const out = new Set<string>();
  for (const url of [addresses.wizardUrl, addresses.panelUrl]) {
    const origin = originOf(url);
    if (origin) out.add(origin);
  }
  return [...out];
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/** True when `url` is a page of the zone (its origin is one of `allowed`). */
export function isZoneUrl(url: string, allowed: readonly string[]): boolean {
  const origin = originOf(url);
  return origin !== undefined && allowed.includes(origin);
}

/** For will-navigate and window.open: stay (a zone page), the OS browser (another web page), or nothing. */
export function navigationVerdict(url: string, allowed: readonly string[]): NavigationVerdict {
  if (isZoneUrl(url, allowed)) return 'allow';
  return originOf(url) ? 'open-externally' : 'deny';
}

/** What the bridge's openExternal accepts: http(s) only, never the zone itself (that stays in the window). */
export function mayOpenExternally(url: string): boolean {
  return originOf(url) !== undefined;
}

/**
 * The Content-Security-Policy the window enforces on zone pages (Electron's checklist #7), on top of
 * the one the kernel sends: scripts only from the page's own origin, connections to the zone's origins.
 */
export function contentSecurityPolicy(allowed: readonly string[]): string {
  const connect = ["'self'", ...allowed].join(' ');
  return [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    `connect-src ${connect}`, "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
  ].join('; ');
}
