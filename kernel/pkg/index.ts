// The package system's public face: ids, manifests, the signed chunked format, build, safe reading and
// the node's pkg-env. Other kernel parts import from here, not from the modules behind it.
export { parsePkgId, formatPkgId, resolveVersion, isValidPkgName, isExactVersion, type PkgId } from './id.js';
export { readManifest, validateManifest, MANIFEST_FILE, type PkgManifest } from './manifest.js';
export { CHUNK_SIZE, INSTALLED_META_FILE, metaIdOf, uniqueChunks, type PkgMeta, type PkgFileEntry } from './format.js';
export { DEFAULT_LIMITS, validateMeta, verifyMetaSignature, type PkgLimits } from './verify.js';
export { buildPkg, type BuildOptions, type BuildResult } from './build.js';
export { readPkgFile, type PkgFile, type ChunkReader, type FetchChunk, type ReadPkgOptions } from './reader.js';
export { openPkgEnv, hostPlatform, type PkgEnv, type InstallResult, type InstallProgress, type GcResult } from './env.js';
export { loadPublisherKey, defaultPublisherKeyPath } from './publisher-key.js';
