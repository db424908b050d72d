// Canonical JSON: object keys sorted at every depth, no whitespace, undefined members dropped.
// Everything the scheduler writes goes through it, so equal values are equal bytes.

export function canonicalJson(value: unknown): string {
  return stringify(value) ?? 'null';
}

function stringify(v: unknown): string | undefined {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'bigint':
      return v.toString();
  }
  if (Array.isArray(v)) return `[${v.map((x) => stringify(x) ?? 'null').join(',')}]`;
  const obj = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(obj).sort()) {
    const s = stringify(obj[k]);
    if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
  }
  return `{${parts.join(',')}}`;
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
