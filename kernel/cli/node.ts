// `buckyos node [--data DIR] [--host ADDR] [--ood URL] [--pkgs DIR]`: run this device as a headless
// node of a zone until SIGINT/SIGTERM; an unjoined device waits for the owner's `buckyos enroll`.
import { parse } from './args.js';
import { runOptions, runSettings, runUntilSignal } from './run.js';
import { startNode } from '../node.js';

export async function nodeCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...runOptions, ood: { type: 'string' } });
  const { dataDir, host, localPkgsDir, kernelLog } = runSettings(values, 'node');
  const node = await startNode({ dataDir, host, oodUrl: values.ood as string | undefined, localPkgsDir, log: kernelLog.log });
  if (node.phase() === 'waiting-to-join') {
    process.stdout.write(`This device has not joined a zone yet.\nJoin code: ${node.joinCode()}\n` +
      `On the owner's computer run:\n  buckyos enroll --zone http://<ood address>:3180 --device http://${host}:3182 --code ${node.joinCode()} --name <device name>\n` +
      `Data folder: ${dataDir}\n`);
  }
  runUntilSignal('node', node, kernelLog, async () => `Node running. Health: http://${host}:3180/health\nData folder: ${dataDir}\n`);
}
