// Helpers shared by the repo-server tests: a test "verify-hub" key and the real zone RBAC, a repo server
// on a random loopback address, tree snapshots (to prove a refusal changed nothing), and a TCP proxy
// that can slow a link down or cut it mid-response (a LAN that breaks).
import { readdir, lstat, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { verifyJwt, signJwt, nowSeconds } from '../lib/identity/jwt.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { silentLogger } from '../lib/log.js';
import { createRbac } from '../lib/rbac/rbac.js';
import type { RbacSubject } from '../lib/rbac/rbac.js';
import { rbacAuthorize } from './access.js';
import { startRepoServer, type RepoServerHandle, type RepoServerOptions } from './service.js';

export { randomLoopback } from '../testing/harness.js';

/** alice is a zone admin, bob a plain user, n1 a non-OOD node (its node-daemon signs with its device key). */
export const ZONE_POLICY_TAIL = 'g, alice, admin\ng, bob, users\ng, n1, node\n';

export interface TestAuth {
  verifyToken: RepoServerOptions<RbacSubject>['verifyToken'];
  authorize: RepoServerOptions<RbacSubject>['authorize'];
  /** A session token for `sub` (user) or a node's device token (kind "device"). */
  token(sub: string, opts?: { appid?: string; ttl?: number; kind?: 'user' | 'device'; key?: string }): Promise<string>;
}

export async function testAuth(): Promise<TestAuth> {
  const hub = generateEd25519();
  const rbac = await createRbac(ZONE_POLICY_TAIL);
  return {
    async verifyToken(token) {
      const c = await verifyJwt(token, hub.publicJwk);
      return { userId: String(c.sub), appId: String(c.appid), kind: c.principal_kind === 'device' ? 'device' : 'user', sudo: false };
    },
    authorize: rbacAuthorize((p: RbacSubject, resource, action) => rbac.enforce(p, resource, action)),
    token(sub, opts = {}) {
      const kind = opts.kind ?? 'user';
      const appid = opts.appid ?? (kind === 'device' ? 'node-daemon' : 'control-panel');
      return signJwt({ sub, appid, principal_kind: kind, exp: nowSeconds() + (opts.ttl ?? 600) }, opts.key ?? hub.privateKeyPem, 'verify-hub');
    },
  };
}

export interface TestRepo extends RepoServerHandle {
  url: string;
  root: string;
}

export async function startTestRepo(auth: TestAuth, root: string, host: string, extra: Partial<RepoServerOptions<RbacSubject>> = {}): Promise<TestRepo> {
  const server = await startRepoServer({ host, port: 0, log: silentLogger, root, verifyToken: auth.verifyToken, authorize: auth.authorize, ...extra });
  return { ...server, url: `http://${host}:${server.port}`, root };
}

/** Every path under `dir` with its size (tmp/ excluded: it belongs to requests in flight). */
export async function treeSnapshot(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let names: string[];
  try {
    names = (await readdir(join(dir, rel))).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const p = rel ? `${rel}/${name}` : name;
    if (p === 'tmp') continue;
    const st = await lstat(join(dir, p));
    if (st.isDirectory()) out.push(`${p}/`, ...(await treeSnapshot(dir, p)));
    else out.push(`${p} ${st.size}`);
  }
  return out;
}

export const emptyDir = async (dir: string) => (await readdir(dir).catch(() => [])).length === 0;

export interface ProxyOptions {
  /** Server→client bytes per second (unlimited when absent). */
  bytesPerSecond?: number;
  /** Destroy the first connection after this many server→client bytes. */
  cutFirstAfter?: number;
}

export interface TestProxy {
  url: string;
  /** Server→client bytes forwarded so far. */
  downBytes(): number;
  /** Request heads seen, in order (for checking Range headers). */
  requests: string[];
  close(): Promise<void>;
}

/** A TCP proxy in front of `target` that can throttle and cut responses. */
export async function startProxy(host: string, target: { host: string; port: number }, opts: ProxyOptions = {}): Promise<TestProxy> {
  let down = 0;
  let connections = 0;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const index = connections++;
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let sentOnThis = 0;
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      for (const m of text.matchAll(/^(GET|PUT|POST|HEAD) [^\r\n]*\r\n[\s\S]*?\r\n\r\n/gm)) requests.push(m[0]);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (opts.cutFirstAfter !== undefined && index === 0 && sentOnThis + d.length > opts.cutFirstAfter) {
        const part = d.subarray(0, opts.cutFirstAfter - sentOnThis);
        down += part.length;
        client.write(part, kill);
        upstream.pause();
        return;
      }
      sentOnThis += d.length;
      down += d.length;
      client.write(d);
      if (opts.bytesPerSecond) {
        upstream.pause();
        setTimeout(() => upstream.resume(), Math.ceil((d.length / opts.bytesPerSecond) * 1000));
      }
    });
    client.on('close', kill);
    upstream.on('close', kill);
    client.on('error', kill);
    upstream.on('error', kill);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${port}`,
    downBytes: () => down,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true });
