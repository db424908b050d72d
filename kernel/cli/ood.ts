// `buckyos ood [--data DIR] [--host ADDR] [--pkgs DIR] [--log-format human|json]`: run an OOD headless until SIGINT/SIGTERM.
// What it prints as an address to open is probed first (servesPage): only what answers is promised.
import { resolve } from 'node:path';
import { parse } from './args.js';
import { gatewayHealth, repoRoot, runOptions, runSettings, runUntilSignal, servesPage } from './run.js';
import { DEFAULT_PORTS } from '../lib/ports.js';
import { startOod } from '../ood.js';

export async function oodCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, runOptions);
  const { dataDir, host, localPkgsDir, kernelLog } = runSettings(values, 'ood');
  const ood = await startOod({ dataDir, host, localPkgsDir, staticDir: resolve(repoRoot, 'dist/renderer'), log: kernelLog.log });
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
      `Data folder: ${dataDir}\n`;
  });
}
