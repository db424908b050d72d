// The contract is said once (STYLE.md "One declaration per contract"): no KV key path is spelled
// outside kernel/api (keys.ts builds every one), and the planted literal proves the scan sees one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const SKIP = new Set(['api', 'testing', 'security', 'fixtures', 'node_modules']);

function productionSources(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) { if (!SKIP.has(n)) out.push(...productionSources(p)); }
    else if (n.endsWith('.ts') && !n.endsWith('.test.ts') && !n.startsWith('test-')) out.push(p);
  }
  return out;
}

/** A string or template literal that starts like a zone KV key: `<top folder>/…`. */
const KEY_LITERAL = /(['"`])(?:boot|nodes|services|devices|users|system|security|zone)\/[^'"`\s]*/g;
const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/^\s*\/\/.*$/gm, '').replace(/\s\/\/ .*$/gm, '');

export function keyLiterals(file: string, text: string): string[] {
  const found: string[] = [];
  withoutComments(text).split('\n').forEach((line, i) => {
    for (const m of line.matchAll(KEY_LITERAL)) found.push(`${file}:${i + 1} ${m[0]}`);
  });
  return found;
}

test('no KV key path is spelled outside kernel/api', () => {
  const found = productionSources(join(root, 'kernel')).flatMap((f) => keyLiterals(relative(root, f).split(sep).join('/'), readFileSync(f, 'utf8')));
  assert.deepEqual(found, [], 'build keys with kernel/api/keys.ts');
});

test('the scan finds a planted key literal and ignores comments', () => {
  const planted = "// services/x/info in a comment is fine\nconst k = `services/${id}/info`;\nconst ok = serviceInfoKey(id);\n";
  assert.deepEqual(keyLiterals('planted.ts', planted), ['planted.ts:2 `services/${id}/info']);
});
