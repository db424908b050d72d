// The pkg format. A pkg is a signed meta (the manifest plus a content list) and content-addressed chunks.
// The `.pkg` file is a plain tar holding exactly `meta.json`, `meta.sig` and `chunks/<sha256>` (deduplicated).
import { canonicalJson, sha256Hex } from './canonical-json.js';
import type { PkgFileEntry, PkgMeta } from '../api/pkg.js';
export type { PkgFileEntry, PkgMeta };

export { PKG_FORMAT, FILE_MODES } from '../api/pkg.js';

/**
 * Files are cut into fixed 256 KiB chunks. Sample apps and most app files are far smaller, so a file is
 * usually one chunk and an upgrade moves exactly the files that changed; for big files (bundles, assets)
 * 256 KiB keeps an in-place change or an append to a few chunks while the per-chunk cost (a 64-char id in
 * the meta, a 512-byte tar header) stays under 0.3 %.
 */
export const CHUNK_SIZE = 256 * 1024;

export const META_ENTRY = 'meta.json';
export const SIG_ENTRY = 'meta.sig';
export const CHUNK_ENTRY_RE = /^chunks\/([0-9a-f]{64})$/;
export const chunkEntryName = (sha256: string) => `chunks/${sha256}`;

/** Written into every install dir by the pkg-env; no pkg may carry a file of that name. */
export const INSTALLED_META_FILE = '.pkg.meta.json';

/** The exact identity of a release: sha256 of the meta's canonical JSON (upstream's metaobjid). */
export const metaIdOf = (meta: unknown) => `sha256:${sha256Hex(canonicalJson(meta))}`;

export const chunkCount = (size: number, chunkSize: number) => Math.ceil(size / chunkSize);

/** Size of chunk `i` of a file of `size` bytes. */
export const chunkLength = (size: number, chunkSize: number, i: number) => Math.min(chunkSize, size - i * chunkSize);

/** Every distinct chunk of a meta with its length, in first-use order. */
export function uniqueChunks(meta: Pick<PkgMeta, 'files' | 'chunk_size'>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of meta.files) {
    f.chunks.forEach((c, i) => {
      if (!out.has(c)) out.set(c, chunkLength(f.size, meta.chunk_size, i));
    });
  }
  return out;
}
