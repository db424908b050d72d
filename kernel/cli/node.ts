// `buckyos node [--data DIR] [--host ADDR] [--ood URL] [--pkgs DIR]`: run this device as a headless
// node of a zone until SIGINT/SIGTERM; an unjoined device waits for the owner's `buckyos enroll`.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../lib/paths.js';
import { parse } from './args.js';
import { startNode } from '../node.js';

export async function nodeCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    data: { type: 'string' },
    host: { type: 'string' },
    ood: { type: 'string' },
    pkgs: { type: 'string' },
  });
  const dataDir = resolve((values.data as string | undefined) ?? defaultDataDir());
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const node = await startNode({
    dataDir,
    host,
    oodUrl: values.ood as string | undefined,
    localPkgsDir: (values.pkgs as string | undefined) ?? resolve(repoRoot, 'pkgs'),
  });
  if (node.phase() === 'waiting-to-join') {
    process.stdout.write(`This device has not joined a zone yet.\nJoin code: ${node.joinCode()}\n` +
      `On the owner's computer run:\n  buckyos enroll --zone http://<ood address>:3180 --device http://${host}:3182 --code ${node.joinCode()} --name <device name>\n` +
      `Data folder: ${dataDir}\n`);
  }
  node.running.then(
    () => process.stdout.write(`Node running. Gateway: http://${host}:3180\nData folder: ${dataDir}\n`),
    (e) => { process.stderr.write(`error: the node could not start: ${(e as Error).message}\n`); process.exit(1); },
  );
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await node.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
