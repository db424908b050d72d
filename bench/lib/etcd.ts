// A throwaway single-member etcd on a loopback address with a temp data dir and default durability
// (WAL fsync on every commit), for comparing our store against it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export interface EtcdHandle {
  /** Base URL of the v3 HTTP/JSON gateway, e.g. http://127.1.2.3:40001 */
  url: string;
  version: string;
  stop(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const etcdVersion = () => spawnSync('etcd', ['--version'], { encoding: 'utf8' });

/** Installs Debian's etcd-server when `etcd` is missing; returns what it did, for the bench output. */
export function ensureEtcdInstalled(): string {
  if (!etcdVersion().error) return 'etcd already installed';
  const install = spawnSync('apt-get', ['install', '-y', 'etcd-server'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (install.status !== 0 || etcdVersion().error)
    throw new Error(`etcd is missing and 'apt-get install -y etcd-server' failed: ${(install.stderr || install.stdout || '').slice(-500)}`);
  return "etcd was missing: installed it with 'apt-get install -y etcd-server'";
}

export async function startEtcd(host: string): Promise<EtcdHandle> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-etcd-'));
  const clientPort = await freePort(host);
  const peerPort = await freePort(host);
  const client = `http://${host}:${clientPort}`;
  const peer = `http://${host}:${peerPort}`;
  const child = spawn('etcd', [
    '--name', 'bench', '--data-dir', dataDir,
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `bench=${peer}`, '--logger', 'zap', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${client}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: Buffer.from('x').toString('base64') }) });
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not start: ${stderr.slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: client, version: etcdVersion().stdout.split('\n')[0].trim(), stop };
}
