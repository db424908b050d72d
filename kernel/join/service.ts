// The enrolment server an unjoined node runs on :3182 until the owner enrolls it (ours; spec 40 §8):
// GET /device tells the owner's client what this device is and its join code, POST /kapi/join takes
// the owner-signed identity, GET / shows the pairing QR code (issue 11), and UDP 2980 answers LAN
// discovery (NodeFinder) while the device waits.
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { NODE_FINDER_PORT } from '../api/devices.js';
import { deviceMiniInfo } from '../lib/device-info.js';
import { readActivationState } from '../lib/identity/files.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { createHttpServer, registerKrpc } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import { lanInterfaces, startNodeFinderResponder, type NodeFinderResponder } from '../lib/node-finder.js';
import type { DataPaths } from '../lib/paths.js';
import { createJoinMethods, joinRequestOf } from './methods.js';
import { PairingCode, pairingUrlOf, signAnnouncement } from './pairing.js';
import { svgQr } from '../lib/qr.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { Clock } from '../lib/clock.js';

/** An enrolment is a few documents. */
const JOIN_BODY_LIMIT = 64 * 1024;

const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
};

export interface DiscoveryOptions {
  /** UDP port of NodeFinder (default 2980). */
  port?: number;
  /** Also announce by unicast to these addresses (tests on loopback). */
  announceTo?: string[];
}

export interface JoinServerOptions {
  paths: DataPaths;
  host: string;
  /** DEFAULT_PORTS.activation (3182); 0 picks a free port. */
  port: number;
  log: Logger;
  /** Called once, after commit_join has written the identity files. */
  onJoined: () => void;
  /** Unix milliseconds (tests move it). */
  now?: Clock;
  /** LAN discovery; false turns it off. On by default unless the node binds a loopback address. */
  discovery?: DiscoveryOptions | false;
  /** Called with the new code when five wrong codes replaced it. */
  onPairingCode?: (code: string) => void;
}

export interface JoinServer {
  port: number;
  /** The code the owner must confirm, XXXX-XXXX-XXXX (the key fingerprint). */
  joinCode: string;
  /** The one-time pairing code shown on the device, XXXX-XXXX. */
  pairingCode(): string;
  /** buckyos://join?… with the enrolment URL, fingerprint and pairing code. */
  pairingUrl(): string;
  stop(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startJoinServer(opts: JoinServerOptions): Promise<JoinServer> {
  const log = opts.log.child('join');
  const now = opts.now ?? nowSeconds;
  const request = await joinRequestOf(opts.paths, now());
  const pairing = new PairingCode((code) => {
    log.warn('five wrong pairing codes: the device shows a new one', { pairing_code: code });
    opts.onPairingCode?.(code);
  });
  const app = createHttpServer({ log, bodyLimit: JOIN_BODY_LIMIT });
  const wildcard = opts.host === '0.0.0.0' || opts.host === '::';
  const pageHost = () => (wildcard ? lanInterfaces()[0]?.address ?? '127.0.0.1' : opts.host);
  let port = 0;
  const pairingUrl = (host = pageHost()) => pairingUrlOf({
    joinUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, fingerprint: request.join_code, pairingCode: pairing.current(), name: request.hostname,
  });

  app.get('/device', async () => ({
    ...deviceMiniInfo(await readActivationState(opts.paths)),
    device_type: 'server',
    join_code: request.join_code,
    device_public_key: request.device_public_key,
  }));
  // The QR code the owner's phone or panel scans; the page is the device's own, like its terminal.
  app.get('/pairing-qr.svg', async (_req, reply) => reply.headers({ ...PAGE_HEADERS, 'content-type': 'image/svg+xml' }).send(await svgQr(pairingUrl())));
  app.get('/', async (_req, reply) => {
    const url = pairingUrl();
    reply.headers({ ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' }).send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Join this device to your zone</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto">
<h1>This device is waiting to join a zone</h1>
<p>Scan the code from your zone's control panel (Devices), or approve it there when it shows up.</p>
<img src="/pairing-qr.svg" alt="Pairing QR code" width="256" height="256">
<p>Key fingerprint: <code>${escapeHtml(request.join_code)}</code><br>Pairing code: <code>${escapeHtml(pairing.current())}</code></p>
<p><code style="word-break:break-all">${escapeHtml(url)}</code></p>
</body></html>`);
  });
  registerKrpc(app, KAPI_PATHS.join, createJoinMethods({ paths: opts.paths, log, now, onJoined: opts.onJoined, pairing }), { log });
  await app.listen({ host: opts.host, port: opts.port });
  port = (app.server.address() as AddressInfo).port;

  let responder: NodeFinderResponder | undefined;
  const discovery = opts.discovery === false ? undefined : opts.discovery ?? {};
  if (discovery && (!/^127\./.test(opts.host) || discovery.announceTo)) {
    const facts = deviceMiniInfo('inactive');
    const privateKeyPem = await readFile(opts.paths.deviceKey, 'utf8');
    responder = await startNodeFinderResponder({
      port: discovery.port ?? NODE_FINDER_PORT, host: opts.host, fingerprint: request.join_code, log, announceTo: discovery.announceTo,
      announcement: (address) => signAnnouncement({
        name: request.hostname, arch: facts.arch, os: facts.os, state: 'unjoined', deviceType: 'server', fingerprint: request.join_code,
        devicePublicKey: request.device_public_key, devicePrivateKeyPem: privateKeyPem, port,
      }, address, now()),
    });
  }
  log.info('waiting to be enrolled', { host: opts.host, port, join_code: request.join_code });
  return {
    port,
    joinCode: request.join_code,
    pairingCode: () => pairing.current(),
    pairingUrl: () => pairingUrl(),
    stop: async () => {
      await responder?.stop();
      await app.close();
    },
  };
}
