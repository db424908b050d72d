// The tray's one line about the zone: healthy, needs attention or stopped, with the top cause. Causes
// come first from the kernel process itself (not started, restarting after a crash, waiting for
// activation), then from the control panel's health checks (the diagnostics the renderer reports
// through the bridge), and a report older than `staleAfterMs` is not trusted.
import type { ZoneHealthReport } from './bridge.js';
import type { KernelState } from './supervisor.js';
import { desktopEn, type DesktopTexts } from './texts.js';

export type TrayLevel = 'healthy' | 'attention' | 'stopped';

export interface TrayState {
  level: TrayLevel;
  /** The tray's tooltip / first menu line. */
  label: string;
  /** The top cause, when not healthy. */
  cause?: string;
}

export interface TrayInput {
  kernel: KernelState;
  /** The panel's last diagnostics and when they arrived (ms). */
  health?: { report: ZoneHealthReport; at: number };
  now: number;
  staleAfterMs?: number;
  texts?: DesktopTexts;
}

export function trayState({ kernel, health, now, staleAfterMs = 10 * 60_000, texts = desktopEn }: TrayInput): TrayState {
  const t = texts.tray;
  const state = (level: TrayLevel, cause?: string): TrayState => ({ level, label: cause ? `${t[level]}: ${cause}` : t[level], ...(cause ? { cause } : {}) });
  switch (kernel.kind) {
    case 'stopped':
      return state('stopped', t.openToStart);
    case 'stopping':
      return state('stopped', t.stopping);
    case 'starting':
      return kernel.restarts > 0 ? state('attention', t.crashedTimes(kernel.restarts)) : state('attention', t.starting);
    case 'restarting':
      return state('attention', t.restartingIn(Math.ceil(kernel.inMs / 1000)));
    case 'activating':
      return state('attention', t.notSetUp);
    case 'running': {
      const fresh = health && now - health.at <= staleAfterMs ? health.report : undefined;
      if (fresh && fresh.status !== 'ok') return state('attention', fresh.cause ?? t.checkFailed);
      return state('healthy');
    }
  }
}
