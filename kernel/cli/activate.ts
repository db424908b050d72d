// `buckyos activate --device URL --zone NAME --owner NAME --password PW [--mnemonic "WORDS"] [--delegate-devices]`
// The owner's key is derived here, on the owner's machine; only signed documents go to the device.
import { KrpcError } from '../lib/errors.js';
import { parse } from './args.js';
import { activateDevice } from '../activation/owner.js';

export async function activateCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    device: { type: 'string' },
    zone: { type: 'string' },
    owner: { type: 'string' },
    password: { type: 'string' },
    mnemonic: { type: 'string' },
    'delegate-devices': { type: 'boolean' },
  });
  const missing = ['device', 'zone', 'owner', 'password'].filter((k) => !values[k]);
  if (missing.length) throw new KrpcError('INVALID_PARAMS', `missing --${missing.join(', --')}\nusage: buckyos activate --device http://<device>:3182 --zone NAME --owner NAME --password PW [--mnemonic "WORDS"] [--delegate-devices]`);
  const r = await activateDevice({
    deviceUrl: (values.device as string).replace(/\/+$/, ''),
    zoneName: values.zone as string,
    ownerName: values.owner as string,
    password: values.password as string,
    mnemonic: values.mnemonic as string | undefined,
    delegateEnrolment: values['delegate-devices'] === true,
  });
  process.stdout.write(`Activated ${r.deviceName} as the OOD of zone ${r.zoneDid} (owner ${r.ownerDid}).\n`);
  if (r.enrolmentDelegated) process.stdout.write('The OOD may approve devices (nodes only) without the recovery words for a year: buckyos devices join.\n');
  if (r.generatedMnemonic) {
    process.stdout.write(`\nYour owner key recovery words (shown ONCE, write them down, never share them):\n\n  ${r.mnemonic}\n\n` +
      `They are not stored anywhere: the device and the zone only know your public key.\n`);
  }
}
