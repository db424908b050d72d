// keyGet3(key, pattern, name) with the semantics of Rust casbin's key_get3 (spec 60 §5.1): `/*` in the
// pattern matches anything below, each `{placeholder}` one path segment (lazily); the result is what
// the placeholder called `name` captured, or "" when the key does not match or there is no such
// placeholder. The model uses it to bind e.g. `{users}` in a `users` rule to the requesting subject.

interface CompiledPattern {
  regex: RegExp | null;
  names: string[];
}

// Patterns come only from policy lines, so this cache is bounded by the policy size.
const compiled = new Map<string, CompiledPattern>();

function compile(pattern: string): CompiledPattern {
  let hit = compiled.get(pattern);
  if (hit) return hit;
  const names: string[] = [];
  const source = pattern
    .replace(/\/\*/g, '/.*')
    .replace(/\{([^/]+?)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+?)';
    });
  let regex: RegExp | null;
  try {
    regex = new RegExp(`^${source}$`);
  } catch {
    regex = null; // a malformed policy pattern matches nothing
  }
  hit = { regex, names };
  compiled.set(pattern, hit);
  return hit;
}

export function keyGet3(key: string, pattern: string, name: string): string {
  const { regex, names } = compile(pattern);
  const index = names.indexOf(name);
  if (index < 0 || !regex) return '';
  const m = regex.exec(key);
  return m?.[index + 1] ?? '';
}
