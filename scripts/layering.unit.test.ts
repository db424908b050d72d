// Keeps the layers honest (STYLE.md "Layers by runtime", "One declaration per contract"): kernel/ is
// plain Node (no electron, react, or code from other top-level folders); kernel/api imports nothing
// outside itself; a kernel service reaches another service only through its client side or kernel/api;
// renderer/ reaches the kernel only through `import type` from kernel/api; the sample apps in pkgs/ are
// self-contained packages. The last test plants one violation of each rule and checks it is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname, sep } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..');

/** Folders of kernel/ that are not services: shared code, the contract, and test support. */
const KERNEL_SHARED = new Set(['lib', 'api', 'pkg', 'testing', 'security']);
/**
 * The client side of a service, which other parts may import: its typed client, the owner's half of
 * the activation and enrolment protocols, and the publisher's upload.
 */
const CLIENT_SIDE = new Set(['client.ts', 'owner.ts', 'publish.ts']);

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

// The files of the owner kit's browser bundle (kernel/api/owner-kit.ts; built beside the panel and
// loaded by the page over HTTP): the owner's side of activation and sign-in. They must stay browser-safe.
const BROWSER_SAFE = new Set([
  'kernel/lib/errors.ts',
  'kernel/lib/identity/base64.ts',
  'kernel/lib/identity/jwk.ts',
  'kernel/lib/identity/did.ts',
  'kernel/lib/identity/documents.ts',
  'kernel/lib/identity/password.ts',
  'kernel/lib/identity/owner-key.ts',
  'kernel/activation/owner-flow.ts',
  'kernel/activation/owner-kit.ts',
]);
const BROWSER_SAFE_PACKAGES = /^(@noble\/(curves|hashes)|@scure\/(bip32|bip39)|micro-key-producer)(\/|$)/;
/** kernel/api is dependency-free (checked below), so the browser-safe files may use its constants. */
const isBrowserSafe = (rel: string) => BROWSER_SAFE.has(rel) || rel.startsWith('kernel/api/');
/** A repo-relative import target as its .ts source path, with / separators. */
const tsFileOf = (rel: string) => rel.split(sep).join('/').replace(/\.js$/, '.ts').replace(/(\/[^./]+)$/, '$1.ts');

/** The desktop shell's adapters over Electron's API; the rest of electron/ is plain Node. */
const ELECTRON_ADAPTERS = new Set(['main.ts', 'preload.ts']);

const isTestCode = (file: string) => /\.test\.ts$/.test(file) || file.split(sep).includes('fixtures');

/** Every wrong-way import under `root`, as "file:line what". */
function violations(root: string): string[] {
  const bad: string[] = [];
  const at = (f: string, imp: Import) => `${relative(root, f)}:${imp.line}`;
  const topFolder = (file: string) => relative(root, file).split(sep)[0];
  const target = (file: string, spec: string) => (spec.startsWith('.') ? resolve(dirname(file), spec) : undefined);
  const kernel = join(root, 'kernel');
  const api = join(kernel, 'api');

  for (const f of sources(kernel)) {
    const part = relative(kernel, f).split(sep);
    for (const imp of importsOf(f)) {
      const pkg = imp.spec.split('/')[0];
      if (['electron', 'react', 'react-dom', 'zustand'].includes(pkg)) bad.push(`${at(f, imp)} imports ${imp.spec}`);
      const to = target(f, imp.spec);
      if (to && topFolder(to) !== 'kernel') bad.push(`${at(f, imp)} reaches ${topFolder(to)}/ via ${imp.spec}`);
      if (part[0] === 'api' && !(to && !relative(api, to).startsWith('..'))) bad.push(`${at(f, imp)} kernel/api imports ${imp.spec}`);
      // Service to service: only the client side or kernel/api (composition roots at kernel/*.ts and tests may reach in).
      if (!to || part.length < 2 || KERNEL_SHARED.has(part[0]) || isTestCode(f)) continue;
      const toPart = relative(kernel, to).split(sep);
      if (toPart.length < 2 || toPart[0] === part[0] || KERNEL_SHARED.has(toPart[0])) continue;
      if (!CLIENT_SIDE.has(toPart[toPart.length - 1].replace(/\.js$/, '.ts')))
        bad.push(`${at(f, imp)} ${part[0]} reaches into ${toPart[0]} (${imp.spec}); use its client or kernel/api`);
    }
  }

  // renderer/src runs in the page (its vitest files and renderer/*.config.ts run in Node).
  for (const f of sources(join(root, 'renderer', 'src')).filter((f) => !/\.test\.tsx?$/.test(f))) {
    for (const imp of importsOf(f)) {
      const to = target(f, imp.spec);
      if (to && topFolder(to) === 'kernel') {
        if (!imp.typeOnly) bad.push(`${at(f, imp)} imports kernel runtime code ${imp.spec}`);
        else if (relative(api, to).startsWith('..')) bad.push(`${at(f, imp)} imports types from outside kernel/api (${imp.spec})`);
      }
      if (imp.spec === 'electron' || imp.spec.startsWith('node:')) bad.push(`${at(f, imp)} imports ${imp.spec}`);
    }
  }

  // electron/: only the two adapters load Electron at run time; everything else runs (and is tested) under plain Node.
  for (const f of sources(join(root, 'electron'))) {
    if (ELECTRON_ADAPTERS.has(relative(join(root, 'electron'), f))) continue;
    for (const imp of importsOf(f)) {
      if (!imp.typeOnly && /^electron(-updater)?(\/|$)/.test(imp.spec)) bad.push(`${at(f, imp)} imports ${imp.spec} at run time (only ${[...ELECTRON_ADAPTERS].join(' and ')} may)`);
    }
  }

  for (const f of sources(join(root, 'pkgs'))) {
    if (/\.test\.ts$/.test(f)) continue;
    for (const imp of importsOf(f)) {
      const to = target(f, imp.spec);
      if (to && topFolder(to) !== 'pkgs') bad.push(`${at(f, imp)} reaches ${topFolder(to)}/`);
      const app = relative(join(root, 'pkgs'), f).split(sep)[0];
      if (to && relative(join(root, 'pkgs', app), to).startsWith('..')) bad.push(`${at(f, imp)} reaches outside its own app folder`);
    }
  }
  return bad;
}

test('the tree has no wrong-way import', () => {
  assert.deepEqual(violations(repoRoot), []);
});

test('browser-safe kernel files use no Node API and import only each other and browser-safe packages', () => {
  const bad: string[] = [];
  for (const rel of BROWSER_SAFE) {
    const file = join(repoRoot, rel);
    const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
    if (/\bBuffer\b|\bprocess\.|\brequire\(/.test(text)) bad.push(`${rel} uses a Node global`);
    for (const imp of importsOf(file)) {
      if (imp.typeOnly) continue;
      if (imp.spec.startsWith('.')) { if (!isBrowserSafe(tsFileOf(relative(repoRoot, resolve(dirname(file), imp.spec))))) bad.push(`${rel}:${imp.line} imports ${imp.spec}, which is not browser-safe`); }
      else if (!BROWSER_SAFE_PACKAGES.test(imp.spec)) bad.push(`${rel}:${imp.line} imports package ${imp.spec}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the check fails on each kind of planted wrong-way import', () => {
  const root = mkdtempSync(join(tmpdir(), 'layering-'));
  try {
    const plant = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    plant('kernel/api/keys.ts', "import { readFile } from 'node:fs/promises';\n");
    plant('kernel/scheduler/loop.ts', "import { startSystemConfig } from '../system-config/service.js';\nimport { SystemConfigClient } from '../system-config/client.js';\n");
    plant('kernel/ood.ts', "import { startSystemConfig } from './system-config/service.js';\n");
    plant('kernel/gateway/proxy.ts', "import React from 'react';\n");
    plant('renderer/src/store.ts', "import { BOOT_CONFIG_KEY } from '../../kernel/api/keys.js';\nimport type { Principal } from '../../kernel/system-config/principal.js';\nimport type { NodeConfig } from '../../kernel/api/zone.js';\n");
    plant('pkgs/notes/server.ts', "import { KrpcError } from '../../kernel/lib/errors.js';\n");
    plant('electron/supervisor.ts', "import { app } from 'electron';\nimport type { App } from 'electron';\n");
    const found = violations(root);
    const expect = [
      /^kernel\/api\/keys\.ts:1 kernel\/api imports node:fs\/promises$/,
      /^kernel\/scheduler\/loop\.ts:1 scheduler reaches into system-config/,
      /^kernel\/gateway\/proxy\.ts:1 imports react$/,
      /^renderer\/src\/store\.ts:1 imports kernel runtime code/,
      /^renderer\/src\/store\.ts:2 imports types from outside kernel\/api/,
      /^pkgs\/notes\/server\.ts:1 reaches kernel\//,
      /^electron\/supervisor\.ts:1 imports electron at run time/,
    ];
    for (const re of expect) assert.ok(found.some((v) => re.test(v)), `not caught: ${re} in ${JSON.stringify(found)}`);
    // The allowed ways stay allowed: a client, a composition root, `import type` from kernel/api.
    assert.ok(!found.some((v) => v.startsWith('kernel/scheduler/loop.ts:2') || v.startsWith('kernel/ood.ts') || v.startsWith('renderer/src/store.ts:3') || v.startsWith('electron/supervisor.ts:2')), JSON.stringify(found));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
