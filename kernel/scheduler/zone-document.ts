// Reads what the scheduler needs from the zone document kept in boot/config: the zone host and the
// OOD names. Decoding only: activation verified the document before the boot step stored it.
import { didToHostName } from '../lib/identity/did.js';
import { isOod, parseOodString } from '../lib/identity/ood-string.js';

export interface ZoneDocumentView {
  id: string | undefined;
  host: string;
  oods: string[];
}

const asObject = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The JSON payload of a JWT, or a plain JSON document; undefined when it is neither. */
export function decodeDocument(text: string): Record<string, unknown> | undefined {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('{')) return asObject(JSON.parse(trimmed));
    const parts = trimmed.split('.');
    if (parts.length !== 3) return undefined;
    return asObject(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Names of the OODs among OOD description strings; gateway-only (`#`) and malformed entries are left out. */
export function oodNamesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const names = new Set<string>();
  for (const entry of list) {
    if (typeof entry !== 'string') continue;
    try {
      const ood = parseOodString(entry);
      if (isOod(ood)) names.add(ood.name);
    } catch {
      continue;
    }
  }
  return [...names].sort();
}

function hostOf(doc: Record<string, unknown>, id: string | undefined): string {
  if (typeof doc.hostname === 'string' && doc.hostname) return doc.hostname;
  if (!id) return '';
  try {
    return didToHostName(id);
  } catch {
    return '';
  }
}

export function readZoneDocument(text: string): ZoneDocumentView | undefined {
  const doc = decodeDocument(text);
  if (!doc) return undefined;
  const id = typeof doc.id === 'string' ? doc.id : undefined;
  let oods = oodNamesOf(doc.oods);
  if (oods.length === 0 && typeof doc.boot_jwt === 'string') oods = oodNamesOf(decodeDocument(doc.boot_jwt)?.oods);
  return { id, host: hostOf(doc, id), oods };
}
