// The desktop app's own preferences (not the zone's): start at login (opt-in, off by default) and the
// update channel. A small JSON file in Electron's userData folder; a broken file means the defaults.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../kernel/lib/fs-atomic.js';

export type UpdateChannel = 'stable' | 'beta';

export interface DesktopSettings {
  openAtLogin: boolean;
  updateChannel: UpdateChannel;
}

export const DEFAULT_SETTINGS: DesktopSettings = { openAtLogin: false, updateChannel: 'stable' };

export function parseSettings(text: string | undefined): DesktopSettings {
  let raw: unknown;
  try {
    raw = text ? JSON.parse(text) : {};
  } catch {
    raw = {};
  }
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    openAtLogin: o.openAtLogin === true,
    updateChannel: o.updateChannel === 'beta' ? 'beta' : 'stable',
  };
}

export async function loadSettings(file: string): Promise<DesktopSettings> {
  return parseSettings(await readFile(file, 'utf8').catch(() => undefined));
}

export async function saveSettings(file: string, s: DesktopSettings): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(s, null, 2)}\n`, 0o600);
}

/**
 * Linux has no login-item API in Electron: an XDG autostart entry (~/.config/autostart/) does it.
 * `--hidden` starts the app in the tray, without the window.
 */
export function linuxAutostartEntry(exec: string): string {
  const quoted = /[\s"'\\$`]/.test(exec) ? `"${exec.replace(/(["\\$`])/g, '\\$1')}"` : exec;
  return ['[Desktop Entry]', 'Type=Application', 'Name=BuckyOS', 'Comment=Your zone, started at login', `Exec=${quoted} --hidden`, 'X-GNOME-Autostart-enabled=true', 'NoDisplay=true', ''].join('\n');
}
