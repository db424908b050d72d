// `buckyos ood [--data DIR] [--host ADDR] [--pkgs DIR] [--log-format human|json] [--zone-https-port PORT|off]
// [--zone-http-port PORT|off]`: run an OOD headless until SIGINT/SIGTERM. The zone gateway (TLS, for the
// outside) listens on 443 and 80 of --host by default, where the OS allows it.
// What it prints as an address to open is probed first (servesPage): only what answers is promised.
import { resolve } from 'node:path';
import { parse } from './args.js';
import { gatewayHealth, repoRoot, runOptions, runSettings, runUntilSignal, servesPage } from './run.js';
import { DEFAULT_PORTS } from '../lib/ports.js';
import { startOod } from '../ood.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { dataPaths } from '../lib/paths.js';
import { DEFAULT_ZONE_GATEWAY_PORTS } from '../lib/ports.js';
import { X509Certificate } from 'node:crypto';
import { TRUST_PATH } from '../api/gateway.js';

function portOption(value: unknown, name: string, dflt: number): number | undefined {
  if (value === undefined) return dflt;
  if (value === 'off') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KrpcError('INVALID_PARAMS', `--${name} takes a port number or "off", not ${JSON.stringify(value)}`);
  return port;
}

/** What to tell about the zone gateway: its address, and how to trust its CA (the fingerprint to compare). */
async function zoneGatewayLines(dataDir: string, zone: string | undefined, httpsPort: number | undefined, httpPort: number | undefined): Promise<string> {
  if (!zone || httpsPort === undefined) return '';
  let ca: string;
  try {
    ca = await readFile(join(dataPaths(dataDir).etc, 'zone-ca', 'ca.crt'), 'utf8');
  } catch {
    return '';
  }
  // Names, not URLs: the zone's names resolve only where the owner's DNS (or hosts file) says so.
  const https = httpsPort === 443 ? `port 443` : `port ${httpsPort}`;
  return `Zone gateway (apps you expose, from outside): HTTPS on ${https} for ${zone} and <app>.${zone}\n` +
    (httpPort === undefined ? '' : `  how to trust its certificate: open ${zone}${httpPort === 80 ? '' : `:${httpPort}`}${TRUST_PATH} over plain HTTP\n`) +
    `  zone CA fingerprint (SHA-256): ${new X509Certificate(ca).fingerprint256}\n`;
}

export async function oodCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...runOptions, 'zone-https-port': { type: 'string' }, 'zone-http-port': { type: 'string' } });
  const httpsPort = portOption(values['zone-https-port'], 'zone-https-port', DEFAULT_ZONE_GATEWAY_PORTS.https);
  const httpPort = portOption(values['zone-http-port'], 'zone-http-port', DEFAULT_ZONE_GATEWAY_PORTS.http);
  const { dataDir, host, localPkgsDir, kernelLog } = runSettings(values, 'ood');
  const zoneGateway = httpsPort === undefined ? false as const : { httpsPort, httpPort };
  const ood = await startOod({ dataDir, host, localPkgsDir, staticDir: resolve(repoRoot, 'dist/renderer'), log: kernelLog.log, zoneGateway });
  const device = `http://${host}:${DEFAULT_PORTS.activation}`;
  const gateway = `http://${host}:${DEFAULT_PORTS.gateway}`;
  if (ood.phase() === 'activating') {
    const wizard = await servesPage(`${device}/`);
    process.stdout.write('This device is not activated yet. Activate it from another terminal:\n' +
      `  buckyos activate --device ${device} --zone NAME --owner NAME --password PW\n` +
      (wizard ? `or in a browser: ${device}/\n` : '') +
      `Data folder: ${dataDir}\n`);
  }
  runUntilSignal('OOD', ood, kernelLog, async () => {
    const [health, panel] = await Promise.all([gatewayHealth(gateway), servesPage(`${gateway}/`)]);
    const zone = health?.zone?.replace(/^did:web:/, '');
    return `OOD running${zone ? ` (zone ${zone}, device ${health?.node})` : ''}.\n` +
      (panel ? `Control panel: ${gateway}/\n` : '') +
      `Use the zone from the command line:\n  export BUCKYOS_ZONE=${gateway} BUCKYOS_USER=<owner> BUCKYOS_PASSWORD=<password>\n  buckyos app list\n` +
      `Installed apps answer at ${gateway}/apps/<app>/; health: ${gateway}/health\n` +
      (await zoneGatewayLines(dataDir, zone, httpsPort, httpPort)) +
      `Data folder: ${dataDir}\n`;
  });
}
