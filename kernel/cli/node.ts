// `buckyos node [--data DIR] [--host ADDR] [--ood URL] [--pkgs DIR]`: run this device as a headless
// node of a zone until SIGINT/SIGTERM; an unjoined device shows its pairing QR code and waits for the
// owner's approval (Devices in the control panel, `buckyos devices join`, or `buckyos enroll`).
// `buckyos node reset [--data DIR] [--wipe] [--yes]`: forget the zone, after a confirm.
import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { dataPaths, defaultDataDir } from '../lib/paths.js';
import { parse } from './args.js';
import { runOptions, runSettings, runUntilSignal } from './run.js';
import { resetNode, startNode } from '../node.js';
import { terminalQr } from '../lib/qr.js';

export async function nodeCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'reset') return resetCommand(argv.slice(1));
  const { values } = parse(argv, { ...runOptions, ood: { type: 'string' } });
  const { dataDir, host, localPkgsDir, kernelLog } = runSettings(values, 'node');
  const node = await startNode({ dataDir, host, oodUrl: values.ood as string | undefined, localPkgsDir, log: kernelLog.log });
  const pairing = node.pairing();
  if (node.phase() === 'waiting-to-join' && pairing) {
    process.stdout.write(`This device has not joined a zone yet.\n\n${await terminalQr(pairing.url)}\n${pairing.url}\n\n` +
      `Join code: ${node.joinCode()}  (the key fingerprint)\nPairing code: ${pairing.code}\n\n` +
      `Approve it in your zone's control panel (Devices), or on the owner's computer run:\n` +
      `  buckyos devices join <device name> --device "${pairing.url}"\n` +
      `or, with the recovery words:\n  buckyos enroll --zone http://<ood address>:3180 --device http://${host}:3182 --code ${node.joinCode()} --name <device name>\n` +
      `Data folder: ${dataDir}\n`);
  }
  runUntilSignal('node', node, kernelLog, async () => `Node running. Health: http://${host}:3180/health\nData folder: ${dataDir}\n`);
}

async function resetCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { data: { type: 'string' }, wipe: { type: 'boolean' }, yes: { type: 'boolean' } });
  const dataDir = resolve((values.data as string | undefined) ?? defaultDataDir());
  const what = values.wipe ? 'forget its zone and DELETE its app data and packages' : 'forget its zone (app data is kept)';
  if (!values.yes) {
    if (!process.stdin.isTTY) throw new KrpcError('INVALID_PARAMS', `this would ${what} in ${dataDir}; add --yes to confirm`);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Reset the node in ${dataDir}: ${what}. Stop the node first. Type "reset" to confirm: `);
    rl.close();
    if (answer.trim() !== 'reset') throw new KrpcError('FAILED_PRECONDITION', 'not confirmed; nothing was changed');
  }
  await resetNode(dataPaths(dataDir), { wipe: values.wipe === true });
  process.stdout.write(`Reset. Start it with \`buckyos node --data ${dataDir}\` to join a zone again (it makes a new key).\n`);
}
