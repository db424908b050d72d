// What a dropped `.pkg` file says about itself, read in the page before it is sent: the repo's upload
// route needs the pkg name, and the owner should see "notes 1.1.0" rather than a file name. A pkg is a
// plain tar whose first entry is `meta.json` (docs/pkg-format.md); the repo checks everything again.

export interface PkgFileFacts {
  name: string;
  version: string;
  description: string;
}

const BLOCK = 512;
/** A meta larger than this is not one a repo accepts either. */
const MAX_META_BYTES = 4 * 1024 * 1024;
/** How many tar entries to look through for meta.json before giving up. */
const MAX_ENTRIES = 4;

const ascii = (b: Uint8Array) => new TextDecoder().decode(b).replace(/\0.*$/s, '');

/** `head` is the start of the file (the header blocks and meta.json); undefined when it is not a pkg. */
export function readPkgHead(head: Uint8Array): PkgFileFacts | undefined {
  let at = 0;
  for (let i = 0; i < MAX_ENTRIES && at + BLOCK <= head.length; i++) {
    const header = head.subarray(at, at + BLOCK);
    const name = ascii(header.subarray(0, 100));
    if (!name) return undefined;
    const size = parseInt(ascii(header.subarray(124, 136)).trim() || 'x', 8);
    if (!Number.isFinite(size) || size < 0) return undefined;
    at += BLOCK;
    if (name === 'meta.json') {
      if (size > MAX_META_BYTES || at + size > head.length) return undefined;
      try {
        const meta = JSON.parse(new TextDecoder().decode(head.subarray(at, at + size))) as Record<string, unknown>;
        if (typeof meta.name !== 'string' || typeof meta.version !== 'string') return undefined;
        return { name: meta.name, version: meta.version, description: typeof meta.description === 'string' ? meta.description : '' };
      } catch {
        return undefined;
      }
    }
    at += Math.ceil(size / BLOCK) * BLOCK;
  }
  return undefined;
}

/** Reads enough of `file` to find its meta. */
export async function readPkgFile(file: Blob): Promise<PkgFileFacts | undefined> {
  const head = new Uint8Array(await file.slice(0, MAX_META_BYTES + MAX_ENTRIES * BLOCK).arrayBuffer());
  return readPkgHead(head);
}
