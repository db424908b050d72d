// Network namespaces for the rtcp tests and bench (root only): an OOD, a NAS and a router on one
// bridge, plus a direct router↔NAS link that can be cut and healed (`ip link set … down|up`; this box
// has no tc netem or iptables). Every name starts with a 3-letter prefix ("rtc" unless told) and a random suffix; `destroy` removes them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { repoRoot } from '../testing/harness.js';
import type { PeerConfig } from './netns-peer.js';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

export function netnsAvailable(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    const probe = `rtc${randomBytes(3).toString('hex')}p`;
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return true;
  } catch {
    return false;
  }
}

export interface Topology {
  ns: { ood: string; nas: string; router: string };
  addr: { ood: string; nas: string; router: string; nasDirect: string; routerDirect: string };
  /** Take the router↔NAS direct link down (the NAS end) or bring it back. */
  cut(): void;
  heal(): void;
  destroy(): void;
}

/** `prefix` (3 letters) starts every ns/veth/bridge name, so parallel users can tell theirs apart. */
export function createTopology(prefix = 'rtc'): Topology {
  const id = randomBytes(2).toString('hex');
  const net8 = 100 + Math.floor(Math.random() * 150);
  const sw = `${prefix}${id}sw`;
  const ns = { ood: `${prefix}${id}o`, nas: `${prefix}${id}n`, router: `${prefix}${id}r` };
  const addr = { ood: `10.${net8}.0.1`, nas: `10.${net8}.0.2`, router: `10.${net8}.0.3`, nasDirect: `10.${net8}.1.2`, routerDirect: `10.${net8}.1.3` };
  const created: string[] = [];
  const destroy = () => {
    for (const n of created.reverse()) {
      try { ip('netns', 'del', n); } catch { /* gone */ }
    }
  };
  try {
    for (const n of [sw, ns.ood, ns.nas, ns.router]) { ip('netns', 'add', n); created.push(n); }
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');
    for (const [role, n] of Object.entries(ns) as Array<[keyof typeof ns, string]>) {
      const v = `${prefix}${id}${role[0]}b`;
      ip('link', 'add', v, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n);
      ip('link', 'set', v, 'netns', sw);
      ip('-n', sw, 'link', 'set', v, 'master', 'br0');
      ip('-n', sw, 'link', 'set', v, 'up');
      ip('-n', n, 'addr', 'add', `${addr[role]}/24`, 'dev', 'eth0');
      ip('-n', n, 'link', 'set', 'eth0', 'up');
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    // the direct router↔NAS link
    ip('-n', ns.nas, 'link', 'add', 'dl0', 'type', 'veth', 'peer', 'name', 'dl0', 'netns', ns.router);
    ip('-n', ns.nas, 'addr', 'add', `${addr.nasDirect}/24`, 'dev', 'dl0');
    ip('-n', ns.router, 'addr', 'add', `${addr.routerDirect}/24`, 'dev', 'dl0');
    for (const n of [ns.nas, ns.router]) ip('-n', n, 'link', 'set', 'dl0', 'up');
  } catch (e) {
    destroy();
    throw e;
  }
  return {
    ns, addr, destroy,
    cut: () => { ip('-n', ns.nas, 'link', 'set', 'dl0', 'down'); },
    heal: () => { ip('-n', ns.nas, 'link', 'set', 'dl0', 'up'); },
  };
}

export interface Peer {
  proc: ChildProcess;
  request<T = Record<string, unknown>>(cmd: Record<string, unknown>, timeoutMs?: number): Promise<T & { ok: boolean; error?: string }>;
  stderr(): string;
  stop(): Promise<void>;
}

/** Extra node flags for the peers (e.g. `RTCP_PEER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p"` to profile a bench). */
const peerNodeFlags = () => (process.env.RTCP_PEER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** Starts kernel/rtcp/netns-peer.ts inside `ns` and waits until it listens. */
export async function spawnPeer(ns: string, config: PeerConfig): Promise<Peer> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, ...peerNodeFlags(), '--import', 'tsx', join(repoRoot, 'kernel/rtcp/netns-peer.ts')], {
    cwd: repoRoot, env: { ...process.env, RTCP_PEER_CONFIG: JSON.stringify(config) }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (c: Buffer) => { err += c.toString(); if (err.length > 20_000) err = err.slice(-10_000); });
  const waiters = new Map<number, (v: Record<string, unknown>) => void>();
  let ready!: () => void;
  const readyP = new Promise<void>((r) => { ready = r; });
  createInterface({ input: proc.stdout }).on('line', (line) => {
    let v: Record<string, unknown>;
    try { v = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    if (v.ready) ready();
    const w = waiters.get(v.id as number);
    if (w) { waiters.delete(v.id as number); w(v); }
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  await Promise.race([readyP, exited.then(() => { throw new Error(`peer in ${ns} exited: ${err}`); }), new Promise((_, j) => setTimeout(() => j(new Error(`peer in ${ns} did not start: ${err}`)), 60_000))]);
  let next = 1;
  return {
    proc,
    stderr: () => err,
    request: (cmd, timeoutMs = 60_000) => {
      const id = next++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => { waiters.delete(id); reject(new Error(`peer ${ns} did not answer ${JSON.stringify(cmd).slice(0, 80)}: ${err.slice(-2000)}`)); }, timeoutMs);
        waiters.set(id, (v) => { clearTimeout(t); resolve(v as never); });
        proc.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
      });
    },
    stop: async () => {
      proc.stdin.end();
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
