// The life cycle both entries share (ood.ts, node.ts): serve a setup server (activation on an OOD,
// enrolment on a node) until the device is set up, then stop it and boot the kernel in-process;
// stop() stops everything in the reverse order it started.
import type { Logger } from './lib/log.js';

export interface Stoppable { stop(): Promise<void> }

/** What a boot started, stopped last-first. Once stopped, whatever boot still starts is stopped at once. */
export class StopStack {
  private readonly items: Stoppable[] = [];
  private stopped = false;

  constructor(private readonly log: Logger) {}

  /** Throws once the stack is stopped (after stopping `item`), so a boot cut short starts nothing more. */
  async push(item: Stoppable): Promise<void> {
    if (!this.stopped) { this.items.push(item); return; }
    await this.stopOne(item);
    throw new Error('stopped while booting');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const item of this.items.splice(0).reverse()) await this.stopOne(item);
  }

  private stopOne(item: Stoppable): Promise<void> {
    return item.stop().catch((e) => this.log.warn('stop failed', { err: (e as Error).message }));
  }
}

export interface SetupThenBootOptions<S extends string> {
  /** True when the device is already set up (activated or enrolled): boot straight away. */
  isSetUp: () => Promise<boolean>;
  /** The phase while the setup server waits, e.g. 'activating'. */
  setupPhase: S;
  /** The setup as named in logs, e.g. 'activation'. */
  setupName: string;
  /** Starts the setup server, which calls onSetUp once the device's files are committed. */
  startSetupServer: (onSetUp: () => void) => Promise<Stoppable>;
  /** Boots the kernel in-process, pushing everything it starts onto `started`. */
  boot: (started: StopStack) => Promise<void>;
  log: Logger;
}

export type Phase<S extends string> = S | 'booting' | 'running' | 'stopped';

export interface Lifecycle<S extends string> {
  phase(): Phase<S>;
  /** Resolves when the kernel runs (after the setup, if it had to wait for one); rejects if that boot fails. */
  running: Promise<void>;
  stop(): Promise<void>;
}

/** Boots at once when set up (a failed boot stops what it started and rejects here); otherwise serves the setup server first. */
export async function runSetupThenBoot<S extends string>(o: SetupThenBootOptions<S>): Promise<Lifecycle<S>> {
  let phase: Phase<S> = 'booting';
  const started = new StopStack(o.log);
  let stopping = false;
  let setupServer: Stoppable | undefined;
  let setupDone: NodeJS.Timeout | undefined;
  let bootAfterSetup: Promise<void> | undefined;
  let resolveRunning!: () => void;
  let rejectRunning!: (e: unknown) => void;
  const running = new Promise<void>((res, rej) => { resolveRunning = res; rejectRunning = rej; });
  running.catch(() => {});

  const boot = async () => {
    phase = 'booting';
    await o.boot(started);
    if (stopping) return;
    phase = 'running';
    resolveRunning();
  };

  const finishSetup = async () => {
    const server = setupServer;
    setupServer = undefined;
    try {
      await server?.stop();
      if (!stopping) await boot();
    } catch (e) {
      if (stopping) return;
      o.log.error(`boot after ${o.setupName} failed`, { err: (e as Error).message });
      rejectRunning(e);
    }
  };

  if (await o.isSetUp()) {
    await boot().catch(async (e) => { await started.stop(); throw e; });
  } else {
    phase = o.setupPhase;
    setupServer = await o.startSetupServer(() => {
      // Let the commit response reach the owner before the port closes.
      setupDone = setTimeout(() => { bootAfterSetup = finishSetup(); }, 100);
    });
  }

  return {
    phase: () => phase,
    running,
    async stop() {
      stopping = true;
      clearTimeout(setupDone);
      const server = setupServer;
      setupServer = undefined;
      await server?.stop().catch((e) => o.log.warn('stop failed', { err: (e as Error).message }));
      await started.stop();
      await bootAfterSetup;
      phase = 'stopped';
    },
  };
}
