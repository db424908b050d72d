// Where the node-daemon gets packages from. Injected, so the repo-backed source (pkg issue) can
// replace the dev-mode local directory source without touching the daemon.
import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import semver from 'semver';
import { KrpcError } from '../lib/errors.js';
import { parsePkgId } from '../pkg/id.js';
import { readManifest, type PkgManifest } from '../pkg/manifest.js';

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
