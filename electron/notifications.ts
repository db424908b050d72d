// Which OS notifications the shell shows: a rollback, a device waiting for approval, an available
// update (Electron's Notification does the showing, main.ts). A tag is shown once per run, so a panel
// that reloads or polls does not repeat itself, and text is cut to what a notification can hold.
import type { DesktopNotification, DesktopNotificationKind } from './bridge.js';

const KINDS: ReadonlySet<DesktopNotificationKind> = new Set(['rollback', 'device-waiting', 'update-available', 'info']);
const MAX_TITLE = 80;
const MAX_BODY = 240;
const MAX_TAGS = 1_000;

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A well-formed notification from the page, or undefined (the bridge refuses anything else). */
export function parseNotification(n: unknown): DesktopNotification | undefined {
  if (typeof n !== 'object' || n === null) return undefined;
  const { kind, title, body, tag } = n as Record<string, unknown>;
  if (typeof kind !== 'string' || !KINDS.has(kind as DesktopNotificationKind)) return undefined;
  if (typeof title !== 'string' || typeof body !== 'string' || typeof tag !== 'string' || !title.trim() || !tag) return undefined;
  return { kind: kind as DesktopNotificationKind, title: clip(title.trim(), MAX_TITLE), body: clip(body.trim(), MAX_BODY), tag: clip(tag, 200) };
}

export class NotificationPolicy {
  private readonly shown = new Set<string>();

  /** The notification to show now, or undefined when it is malformed or its tag was shown already. */
  admit(n: unknown): DesktopNotification | undefined {
    const parsed = parseNotification(n);
    if (!parsed || this.shown.has(parsed.tag)) return undefined;
    if (this.shown.size >= MAX_TAGS) this.shown.clear();
    this.shown.add(parsed.tag);
    return parsed;
  }
}
