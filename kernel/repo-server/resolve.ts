// Which versions a pkg id means and which versions it needs: pure functions over index rows, so the
// server, GC and the unit tests agree on one rule — a range picks the highest matching version, among
// ready versions only when the caller installs (nodes must never be sent to content the zone lacks).
import type { PkgId } from '../pkg/id.js';
import { resolveVersion } from '../pkg/id.js';
import type { VersionRow } from './index-db.js';

export interface ResolveView {
  /** Versions of `name`, any order. */
  versions(name: string): VersionRow[];
  /** The deps (name → semver range) of a meta, if the index has it. */
  deps(metaId: string): Record<string, string> | undefined;
}

export interface Closure {
  /** The root and everything it needs, dependencies before their dependents, each version once. */
  order: VersionRow[];
  /** Dependencies no version satisfies. */
  unresolved: UnresolvedDep[];
}

export interface UnresolvedDep {
  name: string;
  range: string;
  /** `pkg#version` that needs it. */
  neededBy: string;
}

export const describeUnresolved = (u: UnresolvedDep) => `${u.name}#${u.range} (needed by ${u.neededBy})`;

const bareHex = (metaId: string) => metaId.replace(/^[a-z][a-z0-9]*:/, '');

export function selectVersion(rows: readonly VersionRow[], id: Pick<PkgId, 'version' | 'objid'>, readyOnly: boolean): VersionRow | undefined {
  const candidates = readyOnly ? rows.filter((r) => r.ready) : [...rows];
  if (id.objid) {
    const pinned = candidates.find((r) => r.meta_id === id.objid || bareHex(r.meta_id) === id.objid);
    if (!pinned || id.version === '*') return pinned;
    return resolveVersion([pinned.version], id.version) ? pinned : undefined;
  }
  const version = resolveVersion(candidates.map((r) => r.version), id.version);
  return version === undefined ? undefined : candidates.find((r) => r.version === version);
}

export function dependencyClosure(view: ResolveView, root: VersionRow, readyOnly: boolean): Closure {
  const order: VersionRow[] = [];
  const unresolved: UnresolvedDep[] = [];
  const seen = new Set<string>();
  const visit = (row: VersionRow) => {
    const key = `${row.name}#${row.version}`;
    if (seen.has(key)) return;
    seen.add(key);
    const deps = view.deps(row.meta_id) ?? {};
    for (const name of Object.keys(deps).sort()) {
      const pick = selectVersion(view.versions(name), { version: deps[name] }, readyOnly);
      if (pick) visit(pick);
      else unresolved.push({ name, range: deps[name], neededBy: key });
    }
    order.push(row);
  };
  visit(root);
  return { order, unresolved };
}
