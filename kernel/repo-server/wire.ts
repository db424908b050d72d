// What the repo's kRPC methods and HTTP routes return: the contract shared by the server, its client,
// the publish CLI and the nodes' pkg source.
import type { RepoSource, ListEntry, VersionInfo, MetaInfo, ResolveResult, PublishResult, PrepareResult, SyncResult, GcResult, RepoStats } from '../api/repo.js';
export type { RepoSource, ListEntry, VersionInfo, MetaInfo, ResolveResult, PublishResult, PrepareResult, SyncResult, GcResult, RepoStats };

export { REPO_PATH, UPLOAD_PATH, CHUNK_PATH, CHUNKS_PATH, MAX_BATCH_CHUNKS, BATCH_FRAME_HEADER } from '../api/repo.js';

