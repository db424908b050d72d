// The tray's one line about the zone: healthy, needs attention or stopped, with the top cause. Causes
// come first from the kernel process itself (not started, restarting after a crash, waiting for
// activation), then from the control panel's health checks (the diagnostics the renderer reports
// through the bridge), and a report older than `staleAfterMs` is not trusted.
import type { ZoneHealthReport } from './bridge.js';
import type { KernelState } from './supervisor.js';

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
}

// The owner's words (shared/UI.md): "home cloud", never zone/kernel.
const LABEL: Record<TrayLevel, string> = { healthy: 'Home cloud is running well', attention: 'Home cloud needs attention', stopped: 'Home cloud is stopped' };

const state = (level: TrayLevel, cause?: string): TrayState => ({ level, label: cause ? `${LABEL[level]}: ${cause}` : LABEL[level], ...(cause ? { cause } : {}) });

export function trayState({ kernel, health, now, staleAfterMs = 10 * 60_000 }: TrayInput): TrayState {
  switch (kernel.kind) {
    case 'stopped':
      return state('stopped', 'open BuckyOS to start it');
    case 'stopping':
      return state('stopped', 'stopping');
    case 'starting':
      return kernel.restarts > 0 ? state('attention', `it stopped unexpectedly ${kernel.restarts} time${kernel.restarts === 1 ? '' : 's'}; starting again`) : state('attention', 'starting');
    case 'restarting':
      return state('attention', `it stopped unexpectedly; starting it again in ${Math.ceil(kernel.inMs / 1000)} s`);
    case 'activating':
      return state('attention', 'not set up yet: open BuckyOS to set it up');
    case 'running': {
      const fresh = health && now - health.at <= staleAfterMs ? health.report : undefined;
      if (fresh && fresh.status !== 'ok') return state('attention', fresh.cause ?? 'a health check failed');
      return state('healthy');
    }
  }
}
