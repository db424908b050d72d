// set_json_by_path of buckyos-kit (spec 10 §3): `/`-separated segments, leading `/` optional, empty
// segments ignored, `"..."` quotes a segment that contains `/`, `\"` and `\\` escape a quote and a backslash;
// missing intermediate objects are created, the last segment is set or (value null) removed, and an
// empty path replaces the whole value. Upstream panics or silently ignores writes through a
// non-object (arrays included); we refuse them with INVALID_PARAMS.
import { invalidParams } from './errors.js';
import { isPlainObject } from './json.js';

export function splitJsonPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  let inQuotes = false;
  let escaped = false;
  const push = () => {
    const s = current.trim();
    if (s !== '') parts.push(s);
    current = '';
  };
  for (const c of path) {
    if (escaped) {
      if (c !== '"' && c !== '\\') current += '\\';
      current += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === '"') inQuotes = !inQuotes;
    else if (c === '/' && !inQuotes) push();
    else current += c;
  }
  if (inQuotes) throw invalidParams(`json path ${JSON.stringify(path)} has an unclosed quote`);
  push();
  return parts;
}

type JsonObject = Record<string, unknown>;


// defineProperty, not assignment: a segment named "__proto__" must become a plain member.
function setMember(obj: JsonObject, name: string, value: unknown): void {
  Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Applies one path write to `root` (mutated where possible) and returns the new root. */
export function setJsonByPath(root: unknown, path: string, value: unknown): unknown {
  const parts = splitJsonPath(path);
  if (parts.length === 0) return value;
  if (!isPlainObject(root)) throw invalidParams(`cannot set ${JSON.stringify(path)}: the stored value is not a JSON object`);
  let current: JsonObject = root;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(current, part) ? current[part] : undefined;
    if (next === undefined || next === null) {
      const created: JsonObject = {};
      setMember(current, part, created);
      current = created;
    } else if (isPlainObject(next)) {
      current = next;
    } else {
      throw invalidParams(`cannot set ${JSON.stringify(path)}: "${part}" is not an object (arrays are not indexable for writes)`);
    }
  }
  const last = parts[parts.length - 1];
  if (value === null) delete current[last];
  else setMember(current, last, value);
  return root;
}
