// Paths that come from a pkg (file list, data mounts, include list) are untrusted: they must stay inside
// the folder they are joined to on every platform we install on.
import { posix } from 'node:path';

const MAX_PATH = 1024;
const MAX_SEGMENT = 255;
// Names Windows refuses whatever the extension; a pkg built on Linux must still install on a desktop OOD.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Why `p` is not a safe relative path (forward slashes, normalized, no `..`), or undefined when it is. */
export function relativePathProblem(p: unknown): string | undefined {
  if (typeof p !== 'string' || p.length === 0) return 'a path must be a non-empty string';
  const shown = JSON.stringify(p.length > 80 ? `${p.slice(0, 80)}…` : p);
  if (p.length > MAX_PATH) return `path ${shown} is longer than ${MAX_PATH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(p)) return `path ${shown} contains control characters`;
  if (p.includes('\\')) return `path ${shown} contains a backslash; use "/"`;
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return `path ${shown} is absolute; it must be relative to the pkg folder`;
  if (p.split('/').includes('..')) return `path ${shown} climbs out with ".."`;
  if (posix.normalize(p) !== p || p.endsWith('/') || p === '.' || p.startsWith('./')) return `path ${shown} is not normalized (no ".", "//" or trailing "/")`;
  for (const seg of p.split('/')) {
    if (seg.length > MAX_SEGMENT) return `path ${shown} has a name longer than ${MAX_SEGMENT} characters`;
    if (/[<>:"|?*]/.test(seg) || WINDOWS_RESERVED.test(seg) || /[. ]$/.test(seg)) {
      return `path ${shown} uses a name that cannot exist on every platform`;
    }
  }
  return undefined;
}
