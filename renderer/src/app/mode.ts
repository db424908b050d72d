// Which face the page shows: an unactivated device (:3182) answers GET /device with its state, so the
// page opens on the activation wizard; a zone's gateway does not, so it opens the control panel.
import type { DeviceMiniInfo } from '../api/kernel-types';
import { kernelOrigin } from '../api/krpc';

export type PanelMode = { kind: 'setup'; device: DeviceMiniInfo } | { kind: 'zone' };

export async function detectMode(fetchImpl: typeof fetch = fetch): Promise<PanelMode> {
  try {
    const res = await fetchImpl(`${kernelOrigin()}/device`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) });
    if (res.ok && (res.headers.get('content-type') ?? '').includes('json')) {
      const device = (await res.json()) as DeviceMiniInfo;
      if (device && device.state === 'inactive') return { kind: 'setup', device };
    }
  } catch { /* not an activation server */ }
  return { kind: 'zone' };
}
