// Reading a pairing URL (buckyos://join?v=1&url=…&fp=…&code=…[&name=…]) from a QR code, an image or a
// paste. The page may import only types from kernel/api, so this mirrors kernel/api/devices.ts's
// parsePairingUrl; pairing.unit.test.ts runs both on the same inputs so they cannot drift apart.
import type { PairingInfo } from '../../../../kernel/api/devices';

export const PAIRING_PREFIX = 'buckyos://join?';
const MAX_LENGTH = 1024;

function canonical(text: string, groups: 2 | 3): string | undefined {
  const chars = String(text ?? '').toUpperCase().replace(/[\s-]/g, '');
  if (chars.length !== groups * 4 || !/^[A-Z2-7]+$/.test(chars)) return undefined;
  return chars.match(/.{4}/g)!.join('-');
}

function joinUrl(text: string): string | undefined {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(String(text ?? '').trim());
  if (!m || (m[3] !== undefined && (Number(m[3]) < 1 || Number(m[3]) > 65535))) return undefined;
  return `${m[1]}://${m[2]}${m[3] ? `:${m[3]}` : ''}`;
}

/** Why a text is not a pairing URL, as an i18n key under devices.pair.bad. */
export type PairingProblem = 'notPairing' | 'tooLong' | 'version' | 'address' | 'fingerprint' | 'code';

export function readPairingUrl(text: string): { ok: true; info: PairingInfo } | { ok: false; problem: PairingProblem } {
  const s = String(text ?? '').trim();
  if (s.length > MAX_LENGTH) return { ok: false, problem: 'tooLong' };
  if (!s.toLowerCase().startsWith(PAIRING_PREFIX)) return { ok: false, problem: 'notPairing' };
  const q = new URLSearchParams(s.slice(PAIRING_PREFIX.length));
  const v = q.get('v');
  if (v !== null && v !== '1') return { ok: false, problem: 'version' };
  const url = joinUrl(q.get('url') ?? '');
  if (!url) return { ok: false, problem: 'address' };
  const fingerprint = canonical(q.get('fp') ?? '', 3);
  if (!fingerprint) return { ok: false, problem: 'fingerprint' };
  const pairing_code = canonical(q.get('code') ?? '', 2);
  if (!pairing_code) return { ok: false, problem: 'code' };
  const name = q.get('name')?.trim().slice(0, 64);
  return { ok: true, info: { join_url: url, fingerprint, pairing_code, ...(name ? { name } : {}) } };
}

/** A pairing code as typed (any case, spaces, dashes) → XXXX-XXXX, or undefined. */
export const canonicalPairingCode = (text: string) => canonical(text, 2);

/**
 * A name for the device in the zone, suggested from what it calls itself: a DNS label (lowercase
 * letters, digits, "-"), not starting or ending with "-", at most 32 characters.
 */
export function suggestName(hostname: string | undefined, taken: readonly string[]): string {
  const base = (hostname ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 28) || 'device';
  const start = /^[a-z]/.test(base) ? base : `d-${base}`;
  if (!taken.includes(start)) return start;
  for (let i = 2; ; i++) if (!taken.includes(`${start}-${i}`)) return `${start}-${i}`;
}

export const NAME_RE = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;
