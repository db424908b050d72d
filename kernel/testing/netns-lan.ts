// Hosts on one LAN for the multi-host tests: each host a Linux network namespace (ip netns; root)
// with eth0 on one bridge, which lives in a namespace of its own. Names start with the caller's
// prefix and a random tag, addresses come from a random 10.x.y.0/24, so parallel tests do not meet.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appProcessesOf, repoRoot } from './harness.js';

export const run = promisify(execFile);

/** Why network namespaces cannot be used here, or undefined when they can. */
export async function netnsUsable(prefix: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root';
  try {
    const probe = `${prefix}${Math.random().toString(16).slice(2, 6)}p`;
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return undefined;
  } catch (e) {
    return `ip netns does not work here (${(e as Error).message.split('\n')[0]})`;
  }
}

export interface NsProcess { out(): string; child: ChildProcess }

export class NetnsLan<H extends string> {
  readonly tag: string;
  readonly subnet: string;
  /** Each host's address on the LAN: <subnet>.1, .2, … in the order given. */
  readonly hosts: Record<H, string>;
  private readonly children: ChildProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly bridgeNs: string;

  constructor(prefix: string, private readonly names: readonly H[], private readonly env: Record<string, string> = {}) {
    this.tag = `${prefix}${Math.random().toString(16).slice(2, 6)}`;
    this.subnet = `10.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;
    this.hosts = Object.fromEntries(names.map((h, i) => [h, `${this.subnet}.${i + 1}`])) as Record<H, string>;
    this.bridgeNs = `${this.tag}-sw`;
  }

  ns(h: H): string {
    return `${this.tag}-${h}`;
  }

  async setUp(): Promise<void> {
    const sw = this.bridgeNs;
    await run('ip', ['netns', 'add', sw]);
    await run('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await run('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    for (const [i, h] of this.names.entries()) {
      const veth = `${this.tag}v${i}`;
      await run('ip', ['netns', 'add', this.ns(h)]);
      await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ns(h)]);
      await run('ip', ['link', 'set', veth, 'netns', sw]);
      await run('ip', ['-n', sw, 'link', 'set', veth, 'master', 'br0']);
      await run('ip', ['-n', sw, 'link', 'set', veth, 'up']);
      await run('ip', ['-n', this.ns(h), 'addr', 'add', `${this.hosts[h]}/24`, 'dev', 'eth0']);
      await run('ip', ['-n', this.ns(h), 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', this.ns(h), 'link', 'set', 'lo', 'up']);
    }
  }

  /** Kills what was spawned, deletes the namespaces and the temporary folders. */
  async tearDown(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // Apps run in their own process groups and outlive a SIGKILLed node: end those of our data folders.
    for (const d of this.dirs) for (const app of appProcessesOf(d)) try { process.kill(app.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const n of [...this.names.map((h) => this.ns(h)), this.bridgeNs]) await run('ip', ['netns', 'del', n]).catch(() => {});
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
  }

  /** A long-running Node process (`node <args>`) in host `h`, its output kept. */
  spawnIn(h: H, args: string[], env: Record<string, string> = {}): NsProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(h), process.execPath, ...args], { env: { ...process.env, ...this.env, ...env }, cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    return { child, out: () => out };
  }

  /** A command run to its end in host `h`: its exit code and output. */
  async inNs(h: H, cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
    try {
      const r = await run('ip', ['netns', 'exec', this.ns(h), cmd, ...args], { env: { ...process.env, ...env }, cwd: repoRoot, timeout: 120_000 });
      return { code: 0, out: r.stdout + r.stderr };
    } catch (e) {
      const x = e as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof x.code === 'number' ? x.code : 1, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
    }
  }

  /** A temporary folder removed by tearDown. */
  async tmp(name: string): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), `${this.tag}-${name}-`));
    this.dirs.push(d);
    return d;
  }
}
