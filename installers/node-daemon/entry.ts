// buckyos-node: the headless node as a product for NAS and router owners. The same kernel code as
// `buckyos node`, bundled by installers/node-daemon/build.mjs into one file (dist/node-daemon/
// buckyos-node.cjs, runnable with any Node >= 20) and into a single executable with Node 24 embedded.
//   buckyos-node [node] [--data DIR] [--host ADDR] [--ood URL]   run the node (waits on :3182 until added)
//   buckyos-node pairing [--host ADDR] [--port 3182]              print the pairing code and QR of a waiting node
//   buckyos-node version
// Only the node's code is reachable from here, so the bundle carries no OOD services.
import { networkInterfaces } from 'node:os';
import { describeError, KrpcError } from '../../kernel/lib/errors.js';
import { parse } from '../../kernel/cli/args.js';

declare const BUCKYOS_NODE_VERSION: string;
const version = typeof BUCKYOS_NODE_VERSION === 'string' ? BUCKYOS_NODE_VERSION : 'dev';

const usage = `usage: buckyos-node [node] [--data DIR] [--host ADDR] [--ood URL] [--log-format human|json]
       buckyos-node pairing [--host ADDR] [--port PORT]   the code and QR the owner uses to add this device
       buckyos-node version
`;

/** What a waiting node's enrolment server says about itself (GET /device); newer fields are optional. */
interface DeviceAnswer {
  hostname?: string;
  arch?: string;
  join_code?: string;
  state?: string;
  [field: string]: unknown;
}

async function pairing(argv: string[]): Promise<void> {
  const { values } = parse(argv, { host: { type: 'string' }, port: { type: 'string' }, timeout: { type: 'string' } });
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const port = Number((values.port as string | undefined) ?? 3182);
  const timeoutS = Number((values.timeout as string | undefined) ?? 30);
  const anyAddress = host === '0.0.0.0' || host === '::';
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const url = `http://${anyAddress ? '127.0.0.1' : bracketed}:${port}`;
  // Listening on every address: the owner reaches it at this machine's LAN address.
  const lan = Object.values(networkInterfaces()).flatMap((l) => l ?? []).find((a) => !a.internal && a.family === 'IPv4')?.address;
  const shownUrl = anyAddress && lan ? `http://${lan}:${port}` : url;
  let answer: DeviceAnswer | undefined;
  for (const deadline = Date.now() + timeoutS * 1000; ;) {
    try {
      const res = await fetch(`${url}/device`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) { answer = (await res.json()) as DeviceAnswer; break; }
      // An enrolled node no longer serves /device: it answers nothing on :3182.
    } catch { /* not up yet */ }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  if (!answer?.join_code) {
    process.stdout.write(`This device is not waiting to be added (nothing answers ${url}/device).\n` +
      'If it already belongs to a home cloud, it is listed on the Devices screen of the control panel.\n');
    return;
  }
  // The pairing link (buckyos://join?…) and one-time pairing code: from /device if it names them, else
  // from the device's own page on :3182, which shows both; a kernel without them gets the key fingerprint.
  let link = Object.values(answer).find((v): v is string => typeof v === 'string' && v.startsWith('buckyos://'));
  let code = typeof answer.pairing_code === 'string' ? answer.pairing_code : undefined;
  if (!link || !code) {
    const page = await fetch(`${url}/`, { signal: AbortSignal.timeout(3000) }).then((r) => (r.ok ? r.text() : ''), () => '');
    const unescape = (s: string) => s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
    link ??= /buckyos:\/\/join\?[^\s<"']+/.exec(unescape(page))?.[0];
    code ??= /Pairing code:\s*(?:<code>)?([A-Z2-7]{4}-[A-Z2-7]{4})\b/.exec(page)?.[1];
  }
  const shown = link ?? shownUrl;
  const { default: QRCode } = await import('qrcode');
  const qr = await QRCode.toString(shown, { type: 'terminal', small: true });
  process.stdout.write(`\nAdd this device to your home cloud: open the control panel, Devices, "Add a device",\n` +
    `and scan this code (or paste the text under it):\n\n${qr}\n  ${shown}\n\n` +
    `  Pairing code:    ${code ?? answer.join_code}\n  Key fingerprint: ${answer.join_code}\n` +
    `  Device: ${answer.hostname ?? '?'} (${answer.arch ?? '?'}) at ${shownUrl}\n\n`);
}

async function main(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb.startsWith('-')) return (await import('../../kernel/cli/node.js')).nodeCommand(argv);
  switch (verb) {
    case 'node': return (await import('../../kernel/cli/node.js')).nodeCommand(rest);
    case 'pairing': return pairing(rest);
    case 'version': case '--version':
      process.stdout.write(`buckyos-node ${version} (Node ${process.versions.node}, ${process.arch})\n`);
      return;
    case 'help': case '--help': case '-h':
      process.stdout.write(usage);
      return;
    default:
      throw new KrpcError('INVALID_PARAMS', `unknown command "${verb}"\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`error: ${describeError(e)}\n`);
  process.exit(1);
});
