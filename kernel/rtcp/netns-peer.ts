// One device of the network-namespace tests (netns.integration.test.ts) and of bench/tunnel.ts: an rtcp
// stack with its echo services, driven by JSON lines on stdin and answering JSON lines on stdout.
// Config in RTCP_PEER_CONFIG (JSON, see PeerConfig). Only tests and benches start it.
import net from 'node:net';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { RtcpStack } from './stack.js';
import { StaticDirectory } from './directory.js';
import type { LocalIdentity } from './trust.js';
import { revocationIdOf } from './zone.js';
import type { Logger } from '../lib/log.js';

export interface PeerConfig {
  identity: LocalIdentity;
  listen: string;
  /** docJwt + addresses of every device this one knows. */
  peers: Array<{ docJwt: string; addresses: string[] }>;
  relays: string[];
  relay: boolean;
  /** Echo services on 127.0.0.1: the exposed ones and one that is not. */
  echoPorts: number[];
  hiddenPort?: number;
  /** Key x of revoked devices. */
  revoked?: string[];
  capture?: string;
  liveness?: { pingIntervalMs: number; pongTimeoutMs: number; maxMissedPongs: number };
  directRetryMs?: number;
}

interface Command { id: number; op: 'open' | 'open-as' | 'status' | 'cpu' | 'bench-rr' | 'bench-bulk'; device?: string; port?: number; data?: string; identity?: LocalIdentity; n?: number; bytes?: number; raw?: string }

const cfg = JSON.parse(process.env.RTCP_PEER_CONFIG ?? '{}') as PeerConfig;
const lines: string[] = [];
const log: Logger = {
  debug() {}, info: (m, f) => lines.push(`${m} ${JSON.stringify(f ?? {})}`), error: (m, f) => lines.push(`${m} ${JSON.stringify(f ?? {})}`),
  warn: (m, f) => { lines.push(`${m} ${JSON.stringify(f ?? {})}`); process.stderr.write(`${cfg.identity.deviceName}: ${m} ${JSON.stringify(f ?? {})}\n`); },
  child: () => log,
};

function directory(): StaticDirectory {
  const d = new StaticDirectory();
  for (const p of cfg.peers) d.set(p.docJwt, p.addresses);
  return d.setRelays(cfg.relays);
}

function makeStack(identity: LocalIdentity, listen: boolean): RtcpStack {
  const revoked = new Set(cfg.revoked ?? []);
  return new RtcpStack({
    identity, directory: directory(), localHost: '127.0.0.1', listen: listen ? { host: '0.0.0.0', port: 2980 } : undefined,
    exposes: (port) => cfg.echoPorts.includes(port), relay: cfg.relay, log,
    revocations: { isRevoked: (d) => revoked.has(d.keyX) || revoked.has(revocationIdOf(d.keyX)) },
    ...(cfg.capture && { relayTap: (dir: 'in' | 'out', c: Buffer) => appendFileSync(cfg.capture!, c) }),
    liveness: cfg.liveness, directRetryMs: cfg.directRetryMs, connectTimeoutMs: 1000,
  });
}

function roundTrip(s: Duplex, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.end(data);
  });
}

async function connectRaw(target: string): Promise<Duplex> {
  const [host, port] = target.split(':');
  const s = net.connect({ host, port: Number(port) });
  s.setNoDelay(true);
  await new Promise<void>((r, j) => { s.once('connect', r); s.once('error', j); });
  return s;
}

/** n sequential 64-byte request/response exchanges on one stream; µs per exchange. */
async function requestResponse(s: Duplex, n: number): Promise<number> {
  const msg = Buffer.alloc(64, 7);
  let pending: (() => void) | undefined;
  let got = 0;
  s.on('data', (c: Buffer) => { got += c.length; if (got >= 64 && pending) { got -= 64; const p = pending; pending = undefined; p(); } });
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r) => { pending = r; s.write(msg); });
  }
  const us = ((performance.now() - started) * 1000) / n;
  s.destroy();
  return us;
}

/** Sends `bytes` on each of `n` concurrent streams and waits for the echoes; MB/s of payload one way. */
async function bulk(open: () => Promise<Duplex>, n: number, bytes: number): Promise<number> {
  const streams = await Promise.all(Array.from({ length: n }, open));
  const chunk = Buffer.alloc(64 * 1024, 3);
  const started = performance.now();
  await Promise.all(streams.map((s) => new Promise<void>((resolve, reject) => {
    let back = 0;
    s.on('data', (c: Buffer) => { back += c.length; if (back >= bytes) { s.destroy(); resolve(); } });
    s.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!s.write(chunk)) { s.once('drain', pump); return; }
      }
    };
    pump();
  })));
  const secs = (performance.now() - started) / 1000;
  return (n * bytes) / secs / 1e6;
}

async function main() {
  for (const port of [...cfg.echoPorts, ...(cfg.hiddenPort ? [cfg.hiddenPort] : [])]) {
    const server = net.createServer((s) => { s.setNoDelay(true); s.pipe(s); });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    // the raw-TCP baseline of the bench: the same echo on every address of the device, at port + 1000
    const lan = net.createServer((s) => { s.setNoDelay(true); s.pipe(s); });
    await new Promise<void>((r) => lan.listen(port + 1000, '0.0.0.0', r));
  }
  const stack = makeStack(cfg.identity, true);
  await stack.start();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const c = JSON.parse(line) as Command;
    const reply = (v: object) => process.stdout.write(`${JSON.stringify({ id: c.id, ...v })}\n`);
    (async () => {
      switch (c.op) {
        case 'cpu': // this process's CPU time so far (µs), for bench/tunnel's CPU per MB
          return reply({ ok: true, us: (({ user, system }) => user + system)(process.cpuUsage()) });
        case 'status':
          return reply({ ok: true, status: stack.status(), log: lines.splice(0) });
        case 'open': {
          const s = await stack.openStream(c.device!, c.port);
          const back = await roundTrip(s, Buffer.from(c.data ?? '', 'base64'));
          return reply({ ok: true, data: back.toString('base64'), via: stack.status().find((x) => x.device === c.device)?.via ?? null });
        }
        case 'open-as': {
          const other = makeStack(c.identity!, false);
          try {
            const s = await other.openStream(c.device!, c.port);
            const back = await roundTrip(s, Buffer.from(c.data ?? '', 'base64'));
            return reply({ ok: true, data: back.toString('base64') });
          } finally {
            await other.stop();
          }
        }
        case 'bench-rr': {
          const s = c.raw ? await connectRaw(c.raw) : await stack.openStream(c.device!, c.port);
          return reply({ ok: true, usPerRequest: await requestResponse(s, c.n ?? 2000) });
        }
        case 'bench-bulk': {
          const open = c.raw ? () => connectRaw(c.raw!) : () => stack.openStream(c.device!, c.port);
          return reply({ ok: true, mbps: await bulk(open, c.n ?? 1, c.bytes ?? 64 * 1024 * 1024) });
        }
      }
    })().catch((e: Error) => reply({ ok: false, error: e.message }));
  });
  rl.on('close', () => { void stack.stop().then(() => process.exit(0)); });
}

void main();
