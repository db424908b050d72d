// The package format's public shapes (docs/pkg-format.md): the manifest a publisher writes and the
// signed meta a repo serves.
import type { Ed25519PublicJwk } from './identity.js';

export const PKG_FORMAT = 'buckyos.pkg.v1';
export const FILE_MODES = [0o644, 0o755] as const;

export interface PkgFileEntry {
  path: string;
  mode: (typeof FILE_MODES)[number];
  size: number;
  chunks: string[];
}

export interface PkgManifest {
  name: string;
  version: string;
  description: string;
  author?: string;
  /** ours: the app's icon as a `data:image/(svg+xml|png|webp);base64,…` URL (at most 16 KB); the library shows a default without it */
  icon?: string;
  /** pkg name → semver range */
  deps: Record<string, string>;
  /** `cmd[0] === "node"` means: the node binary that runs the kernel. Other elements are relative to the install dir. */
  start: { cmd: string[]; env?: Record<string, string> };
  health: { path: string; timeout_ms?: number };
  exposes: Record<string, { protocol: 'http' | 'tcp' }>;
  install: {
    /** Folders (relative) created under the app's data dir before the first start. */
    data_mounts: string[];
    bind: string;
  };
  min_resources: { memory_mb: number };
  platform: string;
  /** Build input only: when present, only these files/folders (relative to the pkg folder) are packed. */
  include?: string[];
}

export type PkgMeta = Omit<PkgManifest, 'include'> & {
  format: typeof PKG_FORMAT;
  chunk_size: number;
  /** Total content bytes (sum of file sizes). */
  size: number;
  files: PkgFileEntry[];
  /** The publisher's public key; meta.sig must verify with it. */
  author_pk: Ed25519PublicJwk;
};
