// Before a device commits to running the kernel (activation, boot), check that every port it will
// listen on is free, and when one is not, say which process holds it: a second OOD on the same host
// must be refused while nothing has been written yet, not die later with a bare EADDRINUSE.
// The holder comes from /proc/net/tcp{,6} + /proc/<pid>/fd on Linux; elsewhere only the port is named.
import { createServer } from 'node:net';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { KrpcError } from './errors.js';

export interface PortNeed {
  host: string;
  port: number;
  /** what the kernel serves there, e.g. "gateway" */
  what: string;
}

export interface BusyPort extends PortNeed {
  /** "pid 1234 (node bin/buckyos.js ood --data …)" when it can be found */
  holder?: string;
  /** the bind error, when it is not "in use" (e.g. the address is not on this machine) */
  problem?: string;
}

function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (e: NodeJS.ErrnoException) => resolve(e));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** Why `port` cannot be bound on `host` now (an error code such as EACCES or EADDRINUSE), or undefined when it can. */
export async function portProblem(host: string, port: number): Promise<string | undefined> {
  if (port === 0) return undefined;
  const err = await tryListen(host, port);
  return err ? (err.code ?? err.message) : undefined;
}

/** The ports of `needs` that cannot be bound now, each with its holder when it can be named. */
export async function busyPorts(needs: PortNeed[]): Promise<BusyPort[]> {
  const busy: BusyPort[] = [];
  for (const need of needs) {
    const err = await tryListen(need.host, need.port);
    if (!err) continue;
    if (err.code === 'EADDRINUSE') busy.push({ ...need, holder: await portHolder(need.host, need.port) });
    else busy.push({ ...need, problem: err.code ?? err.message });
  }
  return busy;
}

/** FAILED_PRECONDITION naming every busy port and its holder; `doing` says what is refused. */
export async function ensurePortsFree(needs: PortNeed[], doing: string): Promise<void> {
  const busy = await busyPorts(needs);
  if (busy.length === 0) return;
  // One process usually holds them all (another OOD): name it once.
  const byCause = new Map<string, string[]>();
  for (const b of busy) {
    const cause = b.problem ? `cannot be used: ${b.problem}` : `in use by ${b.holder ?? 'another process'}`;
    byCause.set(cause, [...(byCause.get(cause) ?? []), `${b.host}:${b.port} (${b.what})`]);
  }
  const parts = [...byCause].map(([cause, where]) => `${where.join(', ')} ${where.length > 1 ? 'are' : 'is'} ${cause}`);
  throw new KrpcError('FAILED_PRECONDITION',
    `${doing}: ${parts.join('; ')}. Stop that process, or run this device on another address with --host (e.g. another 127.x.y.z)`);
}

/** Decodes a /proc/net/tcp address ("0100007F:0C6C" or the 32-hex-digit IPv6 form) into host and port. */
export function decodeProcAddress(text: string): { host: string; port: number } | undefined {
  const [hex, portHex] = text.split(':');
  if (!hex || !portHex) return undefined;
  const port = parseInt(portHex, 16);
  if (hex.length === 8) {
    // One little-endian 32-bit word.
    const bytes = hex.match(/../g)!.map((b) => parseInt(b, 16)).reverse();
    return { host: bytes.join('.'), port };
  }
  if (hex.length === 32) {
    // Four little-endian 32-bit words; IPv4-mapped addresses read as their IPv4 part.
    const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
    const full = words.join('').toLowerCase();
    if (full.startsWith('00000000000000000000ffff')) {
      const v4 = full.slice(24).match(/../g)!.map((b) => parseInt(b, 16));
      return { host: v4.join('.'), port };
    }
    if (/^0+$/.test(full)) return { host: '::', port };
    return { host: full.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, '')).join(':'), port };
  }
  return undefined;
}

const LISTEN = '0A';

/** Socket inodes listening on `port` at `host` or at a wildcard address (which covers it too). */
async function listeningInodes(host: string, port: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== LISTEN) continue;
      const local = decodeProcAddress(cols[1]);
      if (!local || local.port !== port) continue;
      if (local.host === host || local.host === '0.0.0.0' || local.host === '::') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** "pid N (command line)" of the process listening on host:port, best effort (Linux /proc only). */
export async function portHolder(host: string, port: number): Promise<string | undefined> {
  const inodes = await listeningInodes(host, port);
  if (inodes.size === 0) return undefined;
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return `pid ${pid} (${await commandLine(pid)})`;
    }
  }
  return undefined;
}

async function commandLine(pid: string): Promise<string> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const cmd = raw.split('\0').filter(Boolean).join(' ');
  if (!cmd) return 'unknown command';
  return cmd.length > 160 ? `${cmd.slice(0, 157)}...` : cmd;
}
