// The desktop app's kernel process: the embedded OOD (kernel/ood.ts), run by Electron's utilityProcess
// (main.ts) or as a Node child (start.ts, tests). It tells its parent where the zone answers (the
// wizard while unactivated, the control panel once running) and stops gracefully when asked, the
// apps too if the person chose so. Usage: kernel-process --data DIR [--host ADDR] [--static DIR]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOod } from '../kernel/ood.js';
import { dataPaths, defaultDataDir } from '../kernel/lib/paths.js';
import { DEFAULT_PORTS } from '../kernel/lib/ports.js';
import { openKernelLog } from '../kernel/lib/kernel-log.js';
import { envLogLevel } from '../kernel/lib/log.js';
import { describeError } from '../kernel/lib/errors.js';
import { isOwnProcess, listPidRecords } from '../kernel/node-daemon/pid-record.js';
import { isToKernel, type FromKernel, type KernelAddresses, type ToKernel } from './kernel-protocol.js';

/** Electron's utilityProcess port, when we run in one. */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(message: FromKernel): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

function onParentMessage(listener: (m: ToKernel) => void): void {
  const take = (m: unknown) => { if (isToKernel(m)) listener(m); };
  if (parentPort) parentPort.on('message', (e) => take(e.data));
  else process.on('message', take);
}

/** The kernel's pages answer HTML once its server listens. */
async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    return res.status < 500;
  } catch {
    return false;
  }
}

async function waitUntilAnswers(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await answers(url))) {
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** SIGTERM to every app process this node started (and SIGKILL to what is still there after 10 s). */
async function stopApps(runRoot: string): Promise<number> {
  const pids: number[] = [];
  for (const { record } of await listPidRecords(runRoot)) {
    if (record && (await isOwnProcess(record))) pids.push(record.pid);
  }
  const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
  for (const pid of pids) try { process.kill(pid, 'SIGTERM'); } catch { /* gone already */ }
  const deadline = Date.now() + 10_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(alive)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  return pids.length;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: { data: { type: 'string' }, host: { type: 'string' }, static: { type: 'string' } },
  strict: true,
});
const dataDir = resolve(values.data ?? defaultDataDir());
const host = values.host ?? '127.0.0.1';
// electron/ in a checkout and dist/electron/ in a build both sit two levels below the root.
const staticDir = resolve(values.static ?? resolve(here, '..', 'dist', 'renderer'));
const addresses: KernelAddresses = {
  wizardUrl: `http://${host}:${DEFAULT_PORTS.activation}/`,
  panelUrl: `http://${host}:${DEFAULT_PORTS.gateway}/`,
};
// The console shows warnings and errors (BUCKYOS_LOG_LEVEL to see more); logs/kernel.log keeps info and up.
const kernelLog = openKernelLog('ood', dataPaths(dataDir).logs, { level: process.env.BUCKYOS_LOG_LEVEL ? envLogLevel() : 'warn' });
const log = kernelLog.log;

let stopping = false;
try {
  const ood = await startOod({ dataDir, host, staticDir, log });
  const stop = async (withApps: boolean) => {
    if (stopping) return;
    stopping = true;
    log.info('desktop: stopping the kernel', { stopApps: withApps });
    await ood.stop();
    const appsStopped = withApps ? await stopApps(ood.paths.run) : 0;
    post({ type: 'stopped', appsStopped });
    await kernelLog.close();
    process.exit(0);
  };
  onParentMessage((m) => void stop(m.stopApps));
  process.on('SIGTERM', () => void stop(false));
  process.on('SIGINT', () => void stop(false));
  // Without a parent channel (or when the parent dies) there is nobody to ask us to stop: stop.
  process.on('disconnect', () => void stop(false));

  if (ood.phase() === 'activating') {
    await waitUntilAnswers(addresses.wizardUrl);
    post({ type: 'phase', phase: 'activating', addresses, dataDir });
  }
  await ood.running;
  await waitUntilAnswers(addresses.panelUrl);
  post({ type: 'phase', phase: 'running', addresses, dataDir });
} catch (e) {
  // A stop asked for while booting ends the boot: stop() exits for us.
  if (stopping) await new Promise(() => {});
  const error = describeError(e);
  log.error('desktop: the kernel could not start', { err: error });
  post({ type: 'fatal', error });
  await kernelLog.close();
  process.exit(1);
}
