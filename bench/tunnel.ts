// bench/tunnel: rtcp streams vs raw TCP on the same veth path, in network namespaces (root). The router
// talks to an echo service on the NAS: raw TCP over the direct router↔NAS veth, rtcp over the same link,
// and rtcp through the OOD as relay (rtcp://<encoded relay>@nas/…). Measured: one stream's throughput,
// 100 concurrent streams' total throughput (payload echoed back, counted one way), and the time per
// 64-byte request/response on one open stream (added latency = rtcp − raw). Targets (issue 12):
// throughput ≥ 0.6× raw TCP, added latency ≤ 0.5 ms per request.
// Run: node --import tsx bench/tunnel.ts [--mb 256] [--streams 100] [--per-stream-mb 8] [--requests 5000] [--runs 3]
import os from 'node:os';
import { createTopology, netnsAvailable, spawnPeer, type Peer } from '../kernel/rtcp/netns.js';
import { rtcpTestDevice, rtcpTestZone } from '../kernel/rtcp/test-zone.js';
import { relayTunnelUrl } from '../kernel/rtcp/url.js';
import { numberArg } from './lib/args.js';

const MB = numberArg('mb', 256);
const STREAMS = numberArg('streams', 100);
const PER_STREAM_MB = numberArg('per-stream-mb', 8);
const REQUESTS = numberArg('requests', 5000);
const RUNS = numberArg('runs', 3);
const ECHO = 18080;

if (!netnsAvailable()) {
  console.error('bench/tunnel needs root and `ip netns` (network namespaces)');
  process.exit(2);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const topo = createTopology(process.env.BENCH_NETNS_PREFIX ?? 'rtc');
  const peers: Peer[] = [];
  try {
    const zone = rtcpTestZone();
    const [ood, nas, router] = await Promise.all(['ood1', 'nas', 'router'].map((n) => rtcpTestDevice(zone, n)));
    const base = { relays: ['ood1'], echoPorts: [ECHO], relay: false };
    peers.push(await spawnPeer(topo.ns.ood, { ...base, relay: true, identity: ood.identity, listen: topo.addr.ood, peers: [{ docJwt: nas.docJwt, addresses: [topo.addr.nas] }, { docJwt: router.docJwt, addresses: [topo.addr.router] }] }));
    peers.push(await spawnPeer(topo.ns.nas, { ...base, identity: nas.identity, listen: topo.addr.nas, peers: [{ docJwt: ood.docJwt, addresses: [topo.addr.ood] }, { docJwt: router.docJwt, addresses: [topo.addr.routerDirect] }] }));
    const r = await spawnPeer(topo.ns.router, { ...base, identity: router.identity, listen: topo.addr.router, peers: [{ docJwt: ood.docJwt, addresses: [topo.addr.ood] }, { docJwt: nas.docJwt, addresses: [topo.addr.nasDirect] }] });
    peers.push(r);

    const paths = {
      'raw TCP': { raw: `${topo.addr.nasDirect}:${ECHO + 1000}` },
      rtcp: { device: 'nas', port: ECHO },
      'rtcp via relay': { device: `${relayTunnelUrl('ood1', 'nas').replace(/\/$/, '')}/:${ECHO}` },
    } as const;
    const ask = async <T>(cmd: Record<string, unknown>): Promise<T> => {
      const res = await r.request<T>(cmd, 600_000);
      if (!res.ok) throw new Error(res.error);
      return res;
    };
    // warm up: tunnels up, JIT warm
    for (const p of Object.values(paths)) await ask({ op: 'bench-bulk', ...p, n: 1, bytes: 16 * 1024 * 1024 });

    // CPU time of the router's and the NAS's peer processes per MB of one-stream payload: unlike
    // throughput, it hardly depends on what else the shared machine runs.
    const cpuUs = async () => {
      let sum = 0;
      for (const p of [peers[1], r]) sum += (await p.request<{ us: number }>({ op: 'cpu' })).us;
      return sum;
    };
    const rows: Array<{ path: string; one: number; many: number; us: number; cpu: number }> = [];
    for (const [name, p] of Object.entries(paths)) {
      const one: number[] = [];
      const many: number[] = [];
      const us: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const c0 = await cpuUs();
        one.push((await ask<{ mbps: number }>({ op: 'bench-bulk', ...p, n: 1, bytes: MB * 1024 * 1024 })).mbps);
        cpu.push((await cpuUs() - c0) / 1000 / ((MB * 1024 * 1024) / 1e6));
        many.push((await ask<{ mbps: number }>({ op: 'bench-bulk', ...p, n: STREAMS, bytes: PER_STREAM_MB * 1024 * 1024 })).mbps);
        us.push((await ask<{ usPerRequest: number }>({ op: 'bench-rr', ...p, n: REQUESTS })).usPerRequest);
      }
      rows.push({ path: name, one: median(one), many: median(many), us: median(us), cpu: median(cpu) });
    }
    const raw = rows[0];
    console.log(`bench/tunnel  ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; medians of ${RUNS} runs; one stream ${MB} MB, ${STREAMS} streams × ${PER_STREAM_MB} MB, ${REQUESTS} requests of 64 B`);
    console.log('| path | 1 stream MB/s | × raw | 100 streams MB/s | × raw | µs per request | added µs | CPU ms per MB, router + NAS |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) {
      console.log(`| ${row.path} | ${row.one.toFixed(0)} | ${(row.one / raw.one).toFixed(2)} | ${row.many.toFixed(0)} | ${(row.many / raw.many).toFixed(2)} | ${row.us.toFixed(0)} | ${(row.us - raw.us).toFixed(0)} | ${row.cpu.toFixed(2)} |`);
    }
    const rtcp = rows[1];
    const ok = rtcp.one / raw.one >= 0.6 && rtcp.many / raw.many >= 0.6 && rtcp.us - raw.us <= 500;
    console.log(ok ? 'targets met (direct rtcp: ≥ 0.6× raw TCP, ≤ 0.5 ms added per request)' : 'TARGETS MISSED (direct rtcp: ≥ 0.6× raw TCP, ≤ 0.5 ms added per request)');
  } finally {
    for (const p of peers) await p.stop().catch(() => {});
    topo.destroy();
  }
}

void main().catch((e: unknown) => { console.error(e); process.exit(1); });
