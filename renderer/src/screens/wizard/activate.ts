// Setting up from the page: the owner key is derived from the recovery words HERE, signs the
// documents the device prepared (the same shared flow the CLI runs, kernel/activation/owner-flow.ts),
// and signs one short-lived, single-use login for the new zone so the owner lands on Home signed in,
// and (unless the owner unticks it) the enrolment delegation the device prepared, so the Devices screen
// approves NAS boxes and routers from day one without the words (kernel/api/devices.ts).
// The key and the words are never sent or stored; the kit wipes the seed when it is done.
import type { ActivationTransport, OwnerActivationStep } from '../../../../kernel/api/owner-kit';
import { ownerKit } from '../../api/owner-kit';
import { krpcCall } from '../../api/krpc';
import { PANEL_APPID } from '../../stores/session';

/** How long the hand-over login stays valid: long enough for the first boot on a slow device. */
const HANDOVER_LIFETIME_S = 600;
const GATEWAY_PORT = 3180;

export interface PageActivationInput {
  mnemonic: string;
  ownerName: string;
  zoneName: string;
  password: string;
  /** Also sign the main server's enrolment delegation (the Devices screen then approves without the words). */
  delegateDevices?: boolean;
  onStep(step: OwnerActivationStep): void;
}

export interface PageActivationResult {
  ownerName: string;
  /** Where the zone's control panel answers once the device has booted. */
  gatewayUrl: string;
  /** A login JWT signed by the owner key (iss root, sub owner), used once by the panel. */
  handoverJwt: string;
}

const activationTransport: ActivationTransport = {
  generateDeviceKeyPair: () => krpcCall('active', 'generate_device_key_pair', {}),
  prepareActiveDocuments: (p) => krpcCall('active', 'prepare_active_documents', p),
  commitActive: (p) => krpcCall('active', 'commit_active', p),
};

export function gatewayUrlFor(pageUrl: string): string {
  const url = new URL(pageUrl);
  url.port = String(GATEWAY_PORT);
  return url.origin;
}

export async function activateFromPage(input: PageActivationInput): Promise<PageActivationResult> {
  const kit = ownerKit();
  const now = Math.floor(Date.now() / 1000);
  const ownerNameOf = (ownerDid: string) => ownerDid.replace(/^did:bns:/, '');
  const { result, extraJwt } = await kit.activate({
    transport: activationTransport,
    mnemonic: input.mnemonic,
    zoneName: input.zoneName,
    ownerName: input.ownerName,
    password: input.password,
    now,
    onStep: input.onStep,
    delegateEnrolment: input.delegateDevices === true,
    alsoSign: (r) => ({ iss: 'root', sub: ownerNameOf(r.ownerDid), appid: PANEL_APPID, aud: 'verify-hub', jti: kit.randomId(), iat: now, exp: now + HANDOVER_LIFETIME_S }),
  });
  return { ownerName: ownerNameOf(result.ownerDid), gatewayUrl: gatewayUrlFor(location.href), handoverJwt: extraJwt! };
}

/** Resolves once the zone's gateway answers (any answer: the page cannot read another port's replies). */
export async function waitForGateway(gatewayUrl: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(`${gatewayUrl}/`, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(3000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error('the gateway did not start in time');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The panel URL that signs the owner in with the hand-over login and opens Home. */
export const handoverUrl = (r: PageActivationResult) =>
  `${r.gatewayUrl}/#/home?handover=${encodeURIComponent(r.handoverJwt)}&user=${encodeURIComponent(r.ownerName)}`;
