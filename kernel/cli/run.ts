// What `buckyos ood` and `buckyos node` share: the device's data folder, the address it binds, the
// dev-mode folder of app packages, and running until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dataPaths, defaultDataDir } from '../lib/paths.js';
import { describeError, KrpcError } from '../lib/errors.js';
import { consoleLogFormat, openKernelLog, type KernelLog } from '../lib/kernel-log.js';
import type { Options } from './args.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const runOptions: Options = {
  data: { type: 'string' },
  host: { type: 'string' },
  pkgs: { type: 'string' },
  'log-format': { type: 'string' },
};

/**
 * --data (default the user's data folder), --host (default 127.0.0.1), --pkgs (default the repo's
 * pkgs/), --log-format human|json (default human at a terminal); the kernel log also goes to
 * <data>/logs/kernel.log.
 */
export function runSettings(values: Record<string, unknown>, component: string): { dataDir: string; host: string; localPkgsDir: string; kernelLog: KernelLog } {
  const format = values['log-format'] as string | undefined;
  if (format !== undefined && format !== 'human' && format !== 'json') throw new KrpcError('INVALID_PARAMS', '--log-format takes human or json');
  const dataDir = resolve((values.data as string | undefined) ?? defaultDataDir());
  return {
    dataDir,
    host: (values.host as string | undefined) ?? '127.0.0.1',
    localPkgsDir: (values.pkgs as string | undefined) ?? resolve(repoRoot, 'pkgs'),
    kernelLog: openKernelLog(component, dataPaths(dataDir).logs, { format: consoleLogFormat(format) }),
  };
}

/** Prints `started()` once `running` resolves; exits 1 if `what` cannot start; stops it once on SIGINT/SIGTERM. */
export function runUntilSignal(what: string, handle: { running: Promise<void>; stop(): Promise<void> }, kernelLog: KernelLog, started: () => Promise<string>): void {
  handle.running.then(
    async () => process.stdout.write(await started() + `Kernel log: ${kernelLog.file}\n`),
    async (e) => {
      process.stderr.write(`error: the ${what} could not start: ${describeError(e)}\n`);
      await kernelLog.close();
      process.exit(1);
    },
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await handle.stop();
    await kernelLog.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/**
 * True when `url` answers GET with a page a person can use in a browser (2xx, text/html). What the
 * kernel prints as "open this" is probed first, so it never promises an address that answers
 * "Not found" or raw JSON.
 */
export async function servesPage(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.ok && (res.headers.get('content-type') ?? '').startsWith('text/html');
  } catch {
    return false;
  }
}

/** The gateway's /health answer (node name, zone DID, role), or undefined. */
export async function gatewayHealth(gateway: string): Promise<{ node?: string; zone?: string; role?: string } | undefined> {
  try {
    const res = await fetch(`${gateway}/health`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? ((await res.json()) as { node?: string; zone?: string; role?: string }) : undefined;
  } catch {
    return undefined;
  }
}
