// The kernel process as a plain Node child (child_process.fork with an IPC channel): what `npm start`
// uses where Electron cannot run, and what the tests supervise. main.ts uses utilityProcess instead.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isFromKernel } from './kernel-protocol.js';
import type { KernelChild } from './supervisor.js';

export interface KernelArgs {
  dataDir: string;
  host?: string;
  staticDir?: string;
}

export function kernelArgv(a: KernelArgs): string[] {
  return ['--data', a.dataDir, ...(a.host ? ['--host', a.host] : []), ...(a.staticDir ? ['--static', a.staticDir] : [])];
}

/** The source through tsx in a checkout; the bundle beside this one in a build (dist/electron/). */
export function kernelEntry(): { file: string; execArgv: string[] } {
  if (import.meta.url.endsWith('.ts')) return { file: fileURLToPath(new URL('./kernel-process.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
  return { file: fileURLToPath(new URL('./kernel-process.mjs', import.meta.url)), execArgv: [] };
}

export function forkKernel(a: KernelArgs, opts: { stdio?: 'inherit' | 'ignore' | 'pipe'; env?: NodeJS.ProcessEnv; /** a built kernel-process.mjs */ entry?: string } = {}): KernelChild & { output(): string } {
  const entry = opts.entry ? { file: opts.entry, execArgv: [] } : kernelEntry();
  const io = opts.stdio ?? 'inherit';
  const child = fork(entry.file, kernelArgv(a), { execArgv: entry.execArgv, stdio: [io, io, io, 'ipc'], env: opts.env ?? process.env });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
  return {
    pid: child.pid,
    // A closed channel means the kernel is exiting already; make sure it does.
    send: (m) => { child.send(m, (err) => { if (err) child.kill('SIGTERM'); }); },
    kill: (signal) => { child.kill(signal); },
    onMessage: (listener) => { child.on('message', (m: unknown) => { if (isFromKernel(m)) listener(m); }); },
    onExit: (listener) => { child.once('exit', listener); },
    output: () => output,
  };
}
