// `buckyos enroll --zone URL --name NAME (--device URL --code CODE | --device-data DIR) [--ood-url URL]`
// The owner's side of adding a device to the zone as a node. The recovery words (--mnemonic or
// BUCKYOS_MNEMONIC) give the owner key on this machine only; the device gets signed documents.
import { resolve } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { parse } from './args.js';
import { enrollDevice, type EnrolmentTarget } from '../join/owner.js';

const usage = 'usage: buckyos enroll --zone http://<ood>:3180 --name NAME (--device http://<device>:3182 --code CODE | --device-data DIR) [--ood-url URL] [--mnemonic "WORDS"]';

export async function enrollCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    zone: { type: 'string' },
    name: { type: 'string' },
    device: { type: 'string' },
    code: { type: 'string' },
    'device-data': { type: 'string' },
    'ood-url': { type: 'string' },
    mnemonic: { type: 'string' },
  });
  const zone = (values.zone as string | undefined) ?? process.env.BUCKYOS_ZONE;
  const mnemonic = (values.mnemonic as string | undefined) ?? process.env.BUCKYOS_MNEMONIC;
  const deviceData = values['device-data'] as string | undefined;
  if (!zone || !values.name) throw new KrpcError('INVALID_PARAMS', `missing --zone or --name\n${usage}`);
  if (!mnemonic) throw new KrpcError('INVALID_PARAMS', `enrolling a device needs the owner's recovery words: --mnemonic "WORDS" or BUCKYOS_MNEMONIC\n${usage}`);
  let device: EnrolmentTarget;
  if (deviceData && !values.device) device = { dataDir: resolve(deviceData) };
  else if (values.device && values.code && !deviceData) device = { url: values.device as string, joinCode: values.code as string };
  else throw new KrpcError('INVALID_PARAMS', `name the device either by --device URL with the --code it printed, or by --device-data DIR\n${usage}`);

  const r = await enrollDevice({ zoneUrl: zone, mnemonic, deviceName: values.name as string, device, oodUrl: values['ood-url'] as string | undefined });
  process.stdout.write(`Enrolled ${r.deviceName} (${r.deviceDid}) into zone ${r.zoneDid}; join code ${r.joinCode}.\n` +
    ('dataDir' in device ? `Start it with: buckyos node --data ${device.dataDir}\n` : 'The device starts as a node now.\n'));
}
