// Package ids as BuckyOS writes them (spec 30 §1): `name`, `name#<version-expr>[:tag]`, `name#<objid>`,
// `name#<version-expr>#<objid>`. A version expression is an exact semver or a semver range; empty means `*`.
import semver from 'semver';
import { invalidParams } from '../lib/errors.js';

export interface PkgId {
  name: string;
  /** An exact version or a semver range; `*` when the id names no version. */
  version: string;
  tag?: string;
  /** The exact meta object id (`sha256:<hex>`), when the id pins one. */
  objid?: string;
}

/** A pkg name's alphabet, as a JSON-schema pattern for params that name a pkg. */
export const PKG_NAME_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
const NAME_RE = new RegExp(PKG_NAME_PATTERN);
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
// `<hash-type>:<hex>` as upstream ObjIds print, or a bare alphanumeric id long enough not to be a version.
const OBJID_RE = /^(?:[a-z][a-z0-9]{1,15}:[0-9a-f]{32,128}|[A-Za-z0-9]{32,128})$/;
const MAX_ID_LENGTH = 512;

/** Why `name` is not a valid pkg name, or undefined when it is. */
export function pkgNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'a pkg name must be a non-empty string';
  if (name.length > 64) return `pkg name "${name.slice(0, 64)}…" is longer than 64 characters`;
  if (!NAME_RE.test(name)) {
    return `pkg name ${JSON.stringify(name)} may only use lower-case letters, digits, "_", "-" and "." and must start with a letter or digit`;
  }
  if (name.includes('..')) return `pkg name ${JSON.stringify(name)} must not contain ".."`;
  return undefined;
}

export function isValidPkgName(name: unknown): name is string {
  return pkgNameProblem(name) === undefined;
}

export function assertPkgName(name: unknown): string {
  const problem = pkgNameProblem(name);
  if (problem) throw invalidParams(problem);
  return name as string;
}

export const isObjId = (s: string) => OBJID_RE.test(s);

/** True when `version` names exactly one version (not a range). */
export const isExactVersion = (version: string) => semver.valid(version) !== null && semver.clean(version) === version;

function parseVersionExpr(expr: string, whole: string): { version: string; tag?: string } {
  const colon = expr.indexOf(':');
  const range = (colon === -1 ? expr : expr.slice(0, colon)).trim();
  const tag = colon === -1 ? undefined : expr.slice(colon + 1);
  if (tag !== undefined && !TAG_RE.test(tag)) throw invalidParams(`pkg id ${JSON.stringify(whole)} has an invalid tag ${JSON.stringify(tag)}`);
  if (range === '' || range === '*') return { version: '*', tag };
  const exact = semver.valid(range);
  if (exact !== null) return { version: exact, tag };
  if (semver.validRange(range) === null) {
    throw invalidParams(`pkg id ${JSON.stringify(whole)}: ${JSON.stringify(range)} is neither a version (1.2.3) nor a range (^1.2, >=1.0 <2)`);
  }
  return { version: range, tag };
}

export function parsePkgId(text: string): PkgId {
  if (typeof text !== 'string' || text.length === 0) throw invalidParams('a pkg id must be a non-empty string');
  if (text.length > MAX_ID_LENGTH) throw invalidParams(`a pkg id must be at most ${MAX_ID_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(text)) throw invalidParams('a pkg id must not contain control characters');
  const parts = text.split('#');
  if (parts.length > 3) throw invalidParams(`pkg id ${JSON.stringify(text)} has more than two "#"`);
  const name = assertPkgName(parts[0]);
  if (parts.length === 1) return { name, version: '*' };
  if (parts.length === 2) {
    const x = parts[1];
    if (isObjId(x)) return { name, version: '*', objid: x };
    return { name, ...parseVersionExpr(x, text) };
  }
  const objid = parts[2];
  if (!isObjId(objid)) throw invalidParams(`pkg id ${JSON.stringify(text)} ends with ${JSON.stringify(objid)}, which is not an object id (sha256:<hex>)`);
  return { name, ...parseVersionExpr(parts[1], text), objid };
}

export function formatPkgId(id: PkgId): string {
  let out = id.name;
  const hasVersion = id.version !== '*' || id.tag !== undefined;
  if (hasVersion) out += `#${id.version}${id.tag !== undefined ? `:${id.tag}` : ''}`;
  if (id.objid) out += `#${id.objid}`;
  return out;
}

/** The highest of `versions` that satisfies `expr` (an exact version, a range or `*`), or undefined. */
export function resolveVersion(versions: readonly string[], expr: string = '*'): string | undefined {
  const valid = versions.filter((v) => semver.valid(v) !== null);
  if (isExactVersion(expr)) return valid.find((v) => semver.eq(v, expr));
  if (semver.validRange(expr) === null) throw invalidParams(`${JSON.stringify(expr)} is not a semver version or range`);
  return semver.maxSatisfying(valid, expr) ?? undefined;
}
