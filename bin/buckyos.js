#!/usr/bin/env node
// The `buckyos` command. Runs the prebuilt bundle (dist/kernel/cli.mjs, made by `npm install` /
// `npm run build`) when it is newer than every kernel source file; otherwise the TypeScript sources
// through tsx, so a checkout being edited never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = join(root, 'dist', 'kernel', 'cli.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  try {
    return statSync(bundle).mtimeMs >= newestSource(join(root, 'kernel'));
  } catch {
    return false;
  }
}

if (process.env.BUCKYOS_FROM_SOURCE !== '1' && bundleIsFresh()) {
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../kernel/cli.ts');
}
