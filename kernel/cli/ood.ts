// `buckyos ood [--data DIR] [--host ADDR] [--pkgs DIR]`: run an OOD headless until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parse } from './args.js';
import { repoRoot, runOptions, runSettings, runUntilSignal } from './run.js';
import { startOod } from '../ood.js';

export async function oodCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, runOptions);
  const { dataDir, host, localPkgsDir } = runSettings(values);
  const ood = await startOod({ dataDir, host, localPkgsDir, staticDir: resolve(repoRoot, 'dist/renderer') });
  if (ood.phase() === 'activating') {
    process.stdout.write(`This device is not activated yet.\nActivate it at http://${host}:3182 (or: buckyos activate --device http://${host}:3182 --zone NAME --owner NAME --password PW)\nData folder: ${dataDir}\n`);
  }
  runUntilSignal('OOD', ood, `OOD running. Control panel and API: http://${host}:3180\nData folder: ${dataDir}\n`);
}
