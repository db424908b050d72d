// `buckyos ood [--data DIR] [--host ADDR]`: run an OOD headless until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../lib/paths.js';
import { parse } from './args.js';
import { startOod } from '../ood.js';

export async function oodCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    host: { type: 'string' },
    pkgs: { type: 'string' },
  });
  const dataDir = resolve((values.data as string | undefined) ?? defaultDataDir());
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const ood = await startOod({
    dataDir,
    host,
    localPkgsDir: (values.pkgs as string | undefined) ?? resolve(repoRoot, 'pkgs'),
    staticDir: resolve(repoRoot, 'dist/renderer'),
  });
  if (ood.phase() === 'activating') {
    process.stdout.write(`This device is not activated yet.\nActivate it at http://${host}:3182 (or: buckyos activate --device http://${host}:3182 --zone NAME --owner NAME --password PW)\nData folder: ${dataDir}\n`);
  }
  ood.running.then(
    () => process.stdout.write(`OOD running. Control panel and API: http://${host}:3180\nData folder: ${dataDir}\n`),
    (e) => { process.stderr.write(`error: the OOD could not start: ${(e as Error).message}\n`); process.exit(1); },
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await ood.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
