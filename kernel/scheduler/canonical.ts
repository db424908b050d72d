// Canonical JSON: object keys sorted at every depth, no whitespace, undefined members dropped (as
// JSON.stringify does). Everything the scheduler writes goes through it, so equal values are equal bytes.

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedKeys(value)) ?? 'null';
}

/**
 * The value with object keys in sorted order at every depth, for native JSON.stringify (which keeps
 * insertion order). Objects already in order (everything parsed from a canonical text) are reused
 * as they are, so the common case allocates nothing.
 */
function sortedKeys(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const s = sortedKeys(v[i]);
      if (s !== v[i]) (copy ??= v.slice())[i] = s;
    }
    return copy ?? v;
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      inOrder = false;
      break;
    }
  }
  let out: Record<string, unknown> | undefined;
  if (!inOrder) {
    out = {};
    for (const k of keys.sort()) out[k] = obj[k];
  }
  const target = out ?? obj;
  for (const k of keys) {
    const child = obj[k];
    const s = sortedKeys(child);
    if (s !== child) {
      if (!out) {
        out = {};
        for (const key of keys) out[key] = obj[key];
      }
      out[k] = s;
    }
  }
  return out ?? target;
}

/** True when `current` (any JSON formatting) holds the same value as `next`. */
export function sameJsonValue(current: string | undefined, nextCanonical: string): boolean {
  if (current === undefined) return false;
  if (current === nextCanonical) return true;
  try {
    return canonicalJson(JSON.parse(current)) === nextCanonical;
  } catch {
    return false;
  }
}

/** Deep equality of JSON values under canonical semantics (key order ignored, undefined members absent). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k) || x[k] === undefined) continue;
    if (!Object.hasOwn(y, k) || !sameJson(x[k], y[k])) return false;
    count += 1;
  }
  for (const k in y) if (Object.hasOwn(y, k) && y[k] !== undefined) count -= 1;
  return count === 0;
}
