// What `buckyos ood` and `buckyos node` share: the device's data folder, the address it binds, the
// dev-mode folder of app packages, and running until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../lib/paths.js';
import type { Options } from './args.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const runOptions: Options = {
  data: { type: 'string' },
  host: { type: 'string' },
  pkgs: { type: 'string' },
};

/** --data (default the user's data folder), --host (default 127.0.0.1), --pkgs (default the repo's pkgs/). */
export function runSettings(values: Record<string, unknown>): { dataDir: string; host: string; localPkgsDir: string } {
  return {
    dataDir: resolve((values.data as string | undefined) ?? defaultDataDir()),
    host: (values.host as string | undefined) ?? '127.0.0.1',
    localPkgsDir: (values.pkgs as string | undefined) ?? resolve(repoRoot, 'pkgs'),
  };
}

/** Prints `started` once `running` resolves; exits 1 if `what` cannot start; stops it once on SIGINT/SIGTERM. */
export function runUntilSignal(what: string, handle: { running: Promise<void>; stop(): Promise<void> }, started: string): void {
  handle.running.then(
    () => process.stdout.write(started),
    (e) => { process.stderr.write(`error: the ${what} could not start: ${(e as Error).message}\n`); process.exit(1); },
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await handle.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
