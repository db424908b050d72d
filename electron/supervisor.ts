// Keeps the kernel process alive: restarts it with a growing delay when it dies, and stops it
// gracefully on Quit (a stop message, then SIGKILL if it has not exited in time). It knows the kernel
// only through KernelChild, so Electron's utilityProcess and a plain Node child both fit (main.ts,
// start.ts), and the tests run it against a real kernel process under Node.
import type { FromKernel, KernelAddresses, KernelPhase, ToKernel } from './kernel-protocol.js';

export interface KernelChild {
  readonly pid: number | undefined;
  send(message: ToKernel): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  onMessage(listener: (message: FromKernel) => void): void;
  /** Called once, when the process has exited (code, or the signal that ended it). */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

export interface BackoffPolicy {
  /** Delay before the first restart after a crash. */
  initialMs: number;
  /** The delay doubles per crash in a row, up to this. */
  maxMs: number;
  /** A kernel that ran at least this long before dying starts the series again. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 60_000, stableAfterMs: 120_000 };

/** Delay before restart number `crashesInARow` (1 = the first crash). */
export function restartDelayMs(crashesInARow: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, crashesInARow);
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(n - 1, 30));
}

export type KernelState =
  | { kind: 'starting'; restarts: number }
  | { kind: KernelPhase; addresses: KernelAddresses; dataDir: string; restarts: number }
  | { kind: 'restarting'; inMs: number; crashesInARow: number; lastExit: string; restarts: number }
  | { kind: 'stopping' }
  | { kind: 'stopped'; appsStopped: number };

export interface SupervisorOptions {
  spawn: () => KernelChild;
  backoff?: BackoffPolicy;
  /** How long a graceful stop may take before the kernel is killed. */
  stopTimeoutMs?: number;
  onState?: (state: KernelState) => void;
  now?: () => number;
}

export class KernelSupervisor {
  private current: KernelState = { kind: 'stopped', appsStopped: 0 };
  private child: KernelChild | undefined;
  private startedAt = 0;
  private crashesInARow = 0;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly now: () => number;

  constructor(private readonly opts: SupervisorOptions) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.now = opts.now ?? Date.now;
  }

  state(): KernelState {
    return this.current;
  }

  /** The running kernel's pid (for tests and the log). */
  pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.child || this.restartTimer || this.stopping) return;
    this.launch();
  }

  /** Graceful stop (apps too when asked); resolves once the kernel has exited. Restarts end here. */
  stop(opts: { stopApps: boolean }): Promise<void> {
    if (this.stopping) return this.stopping;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child) {
      this.set({ kind: 'stopped', appsStopped: 0 });
      return Promise.resolve();
    }
    this.set({ kind: 'stopping' });
    this.stopping = new Promise<void>((resolve) => {
      let appsStopped = 0;
      child.onMessage((m) => { if (m.type === 'stopped') appsStopped = m.appsStopped; });
      const hard = setTimeout(() => child.kill('SIGKILL'), this.opts.stopTimeoutMs ?? 30_000);
      child.onExit(() => {
        clearTimeout(hard);
        this.child = undefined;
        this.set({ kind: 'stopped', appsStopped });
        resolve();
      });
      try {
        child.send({ type: 'stop', stopApps: opts.stopApps });
      } catch {
        child.kill('SIGTERM');
      }
    });
    return this.stopping;
  }

  private launch(): void {
    this.set({ kind: 'starting', restarts: this.restarts });
    this.startedAt = this.now();
    const child = this.opts.spawn();
    this.child = child;
    child.onMessage((m) => {
      if (this.child !== child || this.stopping) return;
      if (m.type === 'phase') this.set({ kind: m.phase, addresses: m.addresses, dataDir: m.dataDir, restarts: this.restarts });
    });
    child.onExit((code, signal) => {
      if (this.child !== child || this.stopping) return;
      this.child = undefined;
      this.crashesInARow = this.now() - this.startedAt >= this.backoff.stableAfterMs ? 1 : this.crashesInARow + 1;
      const inMs = restartDelayMs(this.crashesInARow, this.backoff);
      this.set({ kind: 'restarting', inMs, crashesInARow: this.crashesInARow, lastExit: signal ? `killed by ${signal}` : `exit code ${code}`, restarts: this.restarts });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.restarts += 1;
        this.launch();
      }, inMs);
    });
  }

  private set(state: KernelState): void {
    this.current = state;
    this.opts.onState?.(state);
  }
}
