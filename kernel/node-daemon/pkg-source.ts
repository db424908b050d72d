// Where the node-daemon gets packages from. Injected, so the repo-backed source (pkg issue) can
// replace the dev-mode local directory source without touching the daemon.
import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import semver from 'semver';
import { isKrpcError, KrpcError } from '../lib/errors.js';
import type { PkgEnv } from '../pkg/env.js';
import { parsePkgId, resolveVersion } from '../pkg/id.js';
import { readManifest, validateManifest, type PkgManifest } from '../pkg/manifest.js';

export interface InstalledPkg {
  dir: string;
  manifest: PkgManifest;
}

export interface PkgInstallProgress {
  phase: string;
  bytes: number;
  total: number;
}

export interface PkgSource {
  ensureInstalled(pkgId: string, onProgress?: (p: PkgInstallProgress) => void): Promise<InstalledPkg>;
}

/**
 * Dev mode: `<name>#<version>` is the folder `<root>/<name>/` with its pkg.json. The version in the id
 * (exact or range) must match the folder's manifest, so a node never runs a version it was not asked for.
 */
export function localDirPkgSource(root: string): PkgSource {
  const base = resolve(root);
  return {
    async ensureInstalled(pkgId) {
      const { name, version } = parsePkgId(pkgId);
      const dir = join(base, name);
      if (!dir.startsWith(base + sep)) throw new KrpcError('INVALID_PARAMS', `package id ${JSON.stringify(pkgId)} escapes the package folder`);
      const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
      if (!isDir) throw new KrpcError('NOT_FOUND', `package ${name} is not installed on this node (no folder ${dir}); install it or check the app's pkg_id`);
      const manifest = await readManifest(dir);
      if (manifest.name !== name) throw new KrpcError('INTEGRITY', `${join(dir, 'pkg.json')} names package ${manifest.name}, expected ${name}`);
      if (version !== '*' && !semver.satisfies(manifest.version, version))
        throw new KrpcError('NOT_FOUND', `package ${name} ${version} is not installed on this node (the local folder has ${manifest.version})`);
      return { dir, manifest };
    },
  };
}

/** The first source that has the package: the zone's repo, then (dev mode) a folder of unpublished apps. */
export function firstFoundPkgSource(...sources: PkgSource[]): PkgSource {
  return {
    async ensureInstalled(pkgId, onProgress) {
      let missing: KrpcError | undefined;
      let unreachable: unknown;
      for (const source of sources) {
        try {
          return await source.ensureInstalled(pkgId, onProgress);
        } catch (e) {
          // A source out of reach (the zone's repo while the OOD is down) does not hide the next one.
          if (isKrpcError(e, 'UNAVAILABLE') || isKrpcError(e, 'TIMEOUT')) {
            unreachable ??= e;
            continue;
          }
          if (!isKrpcError(e, 'NOT_FOUND')) throw e;
          missing ??= e;
        }
      }
      throw unreachable ?? missing ?? new KrpcError('NOT_FOUND', `no package source knows ${pkgId}`);
    },
  };
}

/**
 * Packages already installed in this node's pkg-env: the current version when it matches the id,
 * otherwise the highest installed version that does. Installing from the zone's repo is the repo-backed
 * source's job; this one only reports what is missing.
 */
export function pkgEnvSource(env: PkgEnv): PkgSource {
  return {
    async ensureInstalled(pkgId) {
      const { name, version: expr } = parsePkgId(pkgId);
      const current = await env.current(name);
      const version = current && semver.satisfies(current, expr) ? current : resolveVersion(await env.installed(name), expr);
      if (!version) throw new KrpcError('NOT_FOUND', `package ${name} ${expr} is not installed in this node's pkg-env (${env.root}); install it first`);
      const meta = await env.meta(name, version);
      if (!meta) throw new KrpcError('NOT_FOUND', `package ${name} ${version} has no install record in ${env.root}; reinstall it`);
      const { format: _f, chunk_size: _c, size: _s, files: _files, author_pk: _pk, ...manifestFields } = meta;
      const manifest = validateManifest(manifestFields, `${name} ${version} in ${env.root}`);
      return { dir: env.dir(name, version), manifest };
    },
  };
}
