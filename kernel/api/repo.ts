// The repo's kRPC methods (POST /kapi/repo) and HTTP routes: the contract shared by the server, its
// client, the publish CLI and the nodes' pkg source.
import type { PkgMeta } from './pkg.js';
import { KAPI_PATHS, type NoParams } from './krpc.js';

export const REPO_PATH = KAPI_PATHS.repo;
export const UPLOAD_PATH = `${REPO_PATH}/upload`;
export const CHUNK_PATH = `${REPO_PATH}/chunk`;
/** POST `{"chunks": [<sha256>, …]}`: the chunks in order, each as a 4-byte big-endian length then its bytes. */
export const CHUNKS_PATH = `${REPO_PATH}/chunks`;
/** Most chunks one batch request may name (64 × 256 KiB = 16 MiB). */
export const MAX_BATCH_CHUNKS = 64;
export const BATCH_FRAME_HEADER = 4;

export type RepoSource = { type: 'dir'; path: string } | { type: 'repo'; url: string; token?: string };

export interface ListEntry {
  name: string;
  /** Lowest first. */
  versions: string[];
  latest: string;
  ready_versions: string[];
  author: string;
}

export interface VersionInfo {
  version: string;
  meta_id: string;
  ready: boolean;
  published_at: number;
  size: number;
}

export interface MetaInfo {
  name: string;
  version: string;
  meta: PkgMeta;
  meta_id: string;
  /** The publisher's signature over the meta id (meta.sig), so anyone can check the meta. */
  signature: string;
  ready: boolean;
}

export interface ResolveResult extends MetaInfo {
  /** The dependency closure, dependencies before their dependents, without the pkg itself. */
  deps: MetaInfo[];
}

export interface PublishResult {
  name: string;
  version: string;
  meta_id: string;
  /** This exact meta was already published; nothing changed. */
  already_published: boolean;
  new_chunks: number;
  reused_chunks: number;
  new_bytes: number;
  ready: boolean;
}

export interface PrepareResult {
  name: string;
  version: string;
  meta_id: string;
  ready: boolean;
  /** The versions prepared: the dependency closure, dependencies first, the pkg last. */
  closure: string[];
  fetched_chunks: number;
  fetched_bytes: number;
  /** Chunks no source could provide (first 50), when not ready. */
  missing_chunks?: string[];
  missing_count?: number;
  /** Sources that could not be asked for them (e.g. `repo:http://… : UNAUTHENTICATED: …`), when chunks are missing. */
  source_errors?: string[];
  /** Dependencies no known version satisfies, when not ready. */
  unresolved?: string[];
}

export interface SyncResult {
  sources: { source: string; added: number; known: number; refused: { id: string; reason: string }[]; error?: string }[];
  /** Pkgs the zone uses whose newest version was prepared. */
  prepared: { id: string; ready: boolean }[];
}

export interface GcResult {
  kept_versions: string[];
  /** Versions whose content was removed: still in the index, no longer ready. */
  removed_versions: string[];
  removed_chunks: number;
  freed_bytes: number;
}

export interface RepoStats {
  pkgs: number;
  versions: number;
  ready_versions: number;
  chunks: number;
  chunk_bytes: number;
  /** Sum of every version's content size: what the store would hold without dedup. */
  content_bytes: number;
  sources: number;
}

/** A source as a caller names it; the server checks and normalises it into a RepoSource. */
export interface RepoSourceParams {
  type: 'dir' | 'repo';
  path?: string;
  url?: string;
  token?: string;
}

export interface RepoMethods {
  list: { params: NoParams; result: ListEntry[] };
  versions: { params: { name: string }; result: VersionInfo[] };
  get_meta: { params: { id: string }; result: MetaInfo };
  resolve: { params: { id: string; include_unready?: boolean }; result: ResolveResult };
  prepare_ready: { params: { id: string }; result: PrepareResult };
  set_sources: { params: { sources: RepoSourceParams[] }; result: { sources: number } };
  sync: { params: NoParams; result: SyncResult };
  /** pkg name → exact versions to keep */
  gc: { params: { keep: Record<string, string[]> }; result: GcResult };
  stats: { params: NoParams; result: RepoStats };
}
