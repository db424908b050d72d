// Keeps the layers honest (STYLE.md "Layers by runtime"): kernel/ is plain Node (no electron, react,
// or code from other top-level folders), renderer/ reaches the kernel only through types, and the
// sample apps in pkgs/ are self-contained packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');

function sources(dir: string, exts = /\.(ts|tsx|mts|mjs|js)$/): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try { names = readdirSync(d); } catch { return; }
    for (const n of names) {
      if (n === 'node_modules' || n === 'dist') continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.test(n)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

interface Import { spec: string; typeOnly: boolean; line: number }

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4] ?? m[5] ?? m[6];
    const line = text.slice(0, m.index).split('\n').length;
    found.push({ spec, typeOnly: Boolean(m[2]), line });
  }
  return found;
}

const topFolder = (file: string) => relative(root, file).split(sep)[0];
const resolvesTo = (file: string, spec: string) => (spec.startsWith('.') ? topFolder(resolve(dirname(file), spec)) : undefined);

test('kernel/ imports neither electron nor react, nor code outside kernel/', () => {
  const bad: string[] = [];
  for (const f of sources(join(root, 'kernel'))) {
    for (const imp of importsOf(f)) {
      const pkg = imp.spec.split('/')[0];
      if (['electron', 'react', 'react-dom', 'zustand'].includes(pkg)) bad.push(`${relative(root, f)}:${imp.line} imports ${imp.spec}`);
      const target = resolvesTo(f, imp.spec);
      if (target && target !== 'kernel') bad.push(`${relative(root, f)}:${imp.line} reaches ${target}/ via ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('kernel/api/ imports nothing outside itself (no Node, no packages)', () => {
  const api = join(root, 'kernel', 'api');
  const bad: string[] = [];
  for (const f of sources(api)) {
    for (const imp of importsOf(f)) {
      const inside = imp.spec.startsWith('.') && !relative(api, resolve(dirname(f), imp.spec)).startsWith('..');
      if (!inside) bad.push(`${relative(root, f)}:${imp.line} imports ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

// The kernel files the control panel may run in the page (docs/architecture.md "Code the page and the
// kernel share"): the owner's activation flow and what it needs. They must stay browser-safe.
const BROWSER_SAFE = new Set([
  'kernel/lib/errors.ts',
  'kernel/lib/identity/base64.ts',
  'kernel/lib/identity/jwk.ts',
  'kernel/lib/identity/did.ts',
  'kernel/lib/identity/documents.ts',
  'kernel/lib/identity/password.ts',
  'kernel/lib/identity/owner-key.ts',
  'kernel/activation/owner-flow.ts',
]);
const BROWSER_SAFE_PACKAGES = /^(@noble\/(curves|hashes)|@scure\/(bip32|bip39)|micro-key-producer)(\/|$)/;
/** kernel/api is dependency-free (checked above), so the browser-safe files may use its constants. */
const isBrowserSafe = (rel: string) => BROWSER_SAFE.has(rel) || rel.startsWith('kernel/api/');
const tsFileOf = (file: string, spec: string) => relative(root, resolve(dirname(file), spec)).split(sep).join('/').replace(/\.js$/, '.ts').replace(/(\/[^./]+)$/, '$1.ts');

test('browser-safe kernel files use no Node API and import only each other and browser-safe packages', () => {
  const bad: string[] = [];
  for (const rel of BROWSER_SAFE) {
    const file = join(root, rel);
    const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    if (/\bBuffer\b|\bprocess\.|\brequire\(/.test(text)) bad.push(`${rel} uses a Node global`);
    for (const imp of importsOf(file)) {
      if (imp.typeOnly) continue;
      if (imp.spec.startsWith('.')) { if (!isBrowserSafe(tsFileOf(file, imp.spec))) bad.push(`${rel}:${imp.line} imports ${imp.spec}, which is not browser-safe`); }
      else if (!BROWSER_SAFE_PACKAGES.test(imp.spec)) bad.push(`${rel}:${imp.line} imports package ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('renderer/ uses kernel/ only for types and the browser-safe files', () => {
  const bad: string[] = [];
  // renderer/src runs in the page; renderer/*.config.ts and the vitest files run in Node.
  for (const f of sources(join(root, 'renderer', 'src')).filter((f) => !/\.test\.tsx?$/.test(f))) {
    for (const imp of importsOf(f)) {
      if (resolvesTo(f, imp.spec) === 'kernel' && !imp.typeOnly && !BROWSER_SAFE.has(tsFileOf(f, imp.spec)))
        bad.push(`${relative(root, f)}:${imp.line} imports kernel runtime code ${imp.spec}`);
      if (imp.spec === 'electron' || imp.spec.startsWith('node:')) bad.push(`${relative(root, f)}:${imp.line} imports ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('sample apps in pkgs/ are self-contained', () => {
  const bad: string[] = [];
  for (const f of sources(join(root, 'pkgs'))) {
    if (/\.test\.ts$/.test(f)) continue;
    for (const imp of importsOf(f)) {
      const target = resolvesTo(f, imp.spec);
      if (target && target !== 'pkgs') bad.push(`${relative(root, f)}:${imp.line} reaches ${target}/`);
      const app = relative(join(root, 'pkgs'), f).split(sep)[0];
      if (imp.spec.startsWith('.') && relative(join(root, 'pkgs', app), resolve(dirname(f), imp.spec)).startsWith('..'))
        bad.push(`${relative(root, f)}:${imp.line} reaches outside its own app folder`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the layering check itself catches a wrong-way import', () => {
  const imps = importsOf(join(root, 'scripts', 'layering.unit.test.ts'));
  assert.ok(imps.some((i) => i.spec === 'node:test'));
  assert.equal(resolvesTo(join(root, 'kernel', 'x.ts'), '../renderer/y.js'), 'renderer');
  assert.equal(tsFileOf(join(root, 'renderer', 'src', 'a.ts'), '../../kernel/lib/identity/password'), 'kernel/lib/identity/password.ts');
  assert.ok(!BROWSER_SAFE.has(tsFileOf(join(root, 'renderer', 'src', 'a.ts'), '../../kernel/lib/identity/keys.js')));
});
