// The messages between the desktop shell and its kernel process (kernel-process.ts), over Electron's
// utilityProcess port or a Node child's IPC channel. The zone's addresses come from here, never from a
// constant in the shell.

/** Where the kernel serves its pages: the wizard while unactivated, the control panel once running. */
export interface KernelAddresses {
  /** The activation wizard (`http://<host>:3182/`), served only while the device is unactivated. */
  wizardUrl: string;
  /** The control panel at the zone's gateway (`http://<host>:3180/`). */
  panelUrl: string;
}

export type KernelPhase = 'activating' | 'running';

export type FromKernel =
  /** Sent when the kernel answers on its first page, and again when activation finishes. */
  | { type: 'phase'; phase: KernelPhase; addresses: KernelAddresses; dataDir: string }
  /** The kernel could not start; it exits after sending this. */
  | { type: 'fatal'; error: string }
  /** The graceful stop is done (apps stopped too when asked); the process exits next. */
  | { type: 'stopped'; appsStopped: number };

export type ToKernel = { type: 'stop'; stopApps: boolean };

export function isFromKernel(m: unknown): m is FromKernel {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'phase' || t === 'fatal' || t === 'stopped';
}

export function isToKernel(m: unknown): m is ToKernel {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'stop' && typeof (m as { stopApps?: unknown }).stopApps === 'boolean';
}
