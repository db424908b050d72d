// Naming a device being added: a suggestion from what it calls itself, and the rule a name must meet.
// (Reading its pairing URL and code is the owner kit's: kernel/api/devices.ts parsePairingUrl.)
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
