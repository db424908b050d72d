#!/usr/bin/env node
// Builds the control panel (renderer/) into dist/renderer with Vite. Runs on `npm install` (prepare),
// `npm run build` and `npm start`; with --if-stale it skips the build when dist/renderer/index.html is
// newer than every source it bundles (renderer/ and the browser-safe kernel files), so `npm start`
// stays instant after the first time.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = join(root, 'dist', 'renderer', 'index.html');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return t;
}

function isFresh() {
  try {
    const built = statSync(output).mtimeMs;
    return built >= Math.max(newest(join(root, 'renderer')), newest(join(root, 'kernel', 'lib', 'identity')), newest(join(root, 'kernel', 'activation')));
  } catch {
    return false;
  }
}

if (process.argv.includes('--if-stale') && isFresh()) process.exit(0);
let build;
try {
  ({ build } = await import('vite'));
} catch {
  // Installed without dev dependencies: a prebuilt panel (if any) is served as it is.
  console.error('vite is not installed; the control panel was not rebuilt');
  process.exit(0);
}
await build({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
// The owner kit (kernel/api/owner-kit.ts): the kernel's owner-side code as one browser module beside
// the panel, which the page loads over HTTP instead of bundling kernel code.
const esbuild = await import('esbuild');
await esbuild.build({
  entryPoints: [join(root, 'kernel', 'activation', 'owner-kit.ts')],
  outfile: join(root, 'dist', 'renderer', 'owner-kit.js'),
  bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, legalComments: 'none', logLevel: 'warning',
});
