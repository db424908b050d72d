// The owner's side of activation for the CLI (`buckyos activate`): derives the owner key here, on the
// owner's machine, and runs the shared browser-safe flow (owner-flow.ts, also the control panel's
// wizard) with the kernel's kRPC client and jose signing.
import type { Logger } from '../lib/log.js';
import { silentLogger } from '../lib/log.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { nowSeconds } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial, generateMnemonic } from '../lib/identity/mnemonic.js';
import { KrpcError } from '../lib/errors.js';
import { ActivationClient, activatedDeviceAt } from './client.js';
import { runOwnerActivation, type ActivationTransport } from './owner-flow.js';

export { checkPassword, MIN_PASSWORD_LENGTH, normalizeOwnerName, normalizeZoneName } from './owner-flow.js';

export interface ActivateDeviceOptions {
  /** "192.168.1.20", "192.168.1.20:3182" or "http://192.168.1.20:3182". */
  deviceUrl: string;
  zoneName: string;
  ownerName: string;
  password: string;
  /** The owner's existing 12 words; a new phrase is generated when absent. */
  mnemonic?: string;
  /** Issue 11: also sign the OOD's enrolment delegation (buckyos devices join works from day one). */
  delegateEnrolment?: boolean;
  log?: Logger;
}

export interface ActivateDeviceResult {
  /** Show it to the owner once when generatedMnemonic is true; it is the only way to recover the owner key. */
  mnemonic: string;
  generatedMnemonic: boolean;
  zoneDid: string;
  ownerDid: string;
  deviceName: string;
  accessHostname: string;
  enrolmentDelegated?: boolean;
}

export async function activateDevice(opts: ActivateDeviceOptions): Promise<ActivateDeviceResult> {
  const log = opts.log ?? silentLogger;
  const generatedMnemonic = opts.mnemonic === undefined;
  const material = deriveOwnerKeyMaterial(opts.mnemonic ?? generateMnemonic());
  const client = new ActivationClient(opts.deviceUrl);
  // A device that stopped serving :3182 may be one that is already activated: say so plainly.
  const transport: ActivationTransport = {
    generateDeviceKeyPair: () => client.generateDeviceKeyPair().catch(async (e) => {
      if (!(e instanceof KrpcError) || e.code !== 'UNAVAILABLE') throw e;
      const activated = await activatedDeviceAt(client.baseUrl);
      if (!activated) throw e;
      const zone = activated.zone.replace(/^did:web:/, '');
      throw new KrpcError('ALREADY_ACTIVATED', activated.role === 'ood'
        ? `this device is already activated as the OOD of ${zone} (${activated.zone}); its zone answers at ${activated.gateway}`
        : `this device is already a node (${activated.node}) of zone ${zone} (${activated.zone})`);
    }),
    prepareActiveDocuments: (p) => client.prepareActiveDocuments(p),
    commitActive: (p) => client.commitActive(p),
  };
  const r = await runOwnerActivation({
    transport,
    zoneName: opts.zoneName,
    ownerName: opts.ownerName,
    password: opts.password,
    ownerPublicJwk: material.ownerKey.publicJwk,
    evmAddress: material.evmAddress,
    sign: (doc) => signDocument(doc, material.ownerKey.privateKeyPem),
    now: nowSeconds(),
    delegateEnrolment: opts.delegateEnrolment,
    onStep: (step) => log.info(step === 'commit' ? 'committing activation' : `activation: ${step}`, { device: client.baseUrl }),
  });
  return { mnemonic: material.mnemonic, generatedMnemonic, ...r };
}
