// The pairing code of an unjoined node (issue 11): 40 random bits shown on the device (terminal, QR,
// its :3182 page), never announced on the LAN. An approval signed under the enrolment delegation must
// bring it, which proves the approver read it off the device; five wrong codes make a new one.
import { randomBytes } from 'node:crypto';
import { canonicalCode, formatPairingUrl, type DeviceAnnouncement } from '../api/devices.js';
import { KrpcError } from '../lib/errors.js';
import { signJwt } from '../lib/identity/jwt.js';
import type { Ed25519PublicJwk } from '../lib/identity/keys.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MAX_WRONG = 5;

function newCode(): string {
  const bytes = randomBytes(8);
  let out = '';
  for (let i = 0; i < 8; i++) out += BASE32[bytes[i] & 31];
  return `${out.slice(0, 4)}-${out.slice(4)}`;
}

export class PairingCode {
  private code = newCode();
  private wrong = 0;

  constructor(private readonly onRotate: (code: string) => void = () => {}) {}

  current(): string {
    return this.code;
  }

  /** Throws PERMISSION_DENIED on a wrong code; the fifth wrong one replaces the code. */
  check(given: string | undefined): void {
    const code = given === undefined ? undefined : canonicalCode(given, 2);
    if (code === this.code) return;
    if (++this.wrong >= MAX_WRONG) {
      this.wrong = 0;
      this.code = newCode();
      this.onRotate(this.code);
    }
    throw new KrpcError('PERMISSION_DENIED', given === undefined
      ? 'this approval needs the pairing code shown on the device (or in its QR code); nothing was written'
      : 'the pairing code does not match the one the device shows; nothing was written');
  }
}

export interface PairingFacts {
  joinUrl: string;
  fingerprint: string;
  pairingCode: string;
  name: string;
}

export const pairingUrlOf = (f: PairingFacts) => formatPairingUrl({ join_url: f.joinUrl, fingerprint: f.fingerprint, pairing_code: f.pairingCode, name: f.name });

export interface AnnouncementFacts {
  name: string;
  arch: string;
  os: string;
  state: DeviceAnnouncement['state'];
  deviceType: string;
  fingerprint: string;
  devicePublicKey: Ed25519PublicJwk;
  devicePrivateKeyPem: string;
  port: number;
}

/** A DeviceAnnouncement JWT telling a peer to reach this device at `address`, signed by the device key; 10 minutes. */
export function signAnnouncement(f: AnnouncementFacts, address: string, nowS: number): Promise<string> {
  const host = address.includes(':') ? `[${address}]` : address;
  const a: DeviceAnnouncement = {
    name: f.name.slice(0, 64) || 'device', device_type: f.deviceType, arch: f.arch, os: f.os, state: f.state,
    join_url: `http://${host}:${f.port}`, fingerprint: f.fingerprint, device_public_key: f.devicePublicKey, iat: nowS, exp: nowS + 600,
  };
  return signJwt(a as unknown as Record<string, unknown>, f.devicePrivateKeyPem);
}
