#!/usr/bin/env node
// Runs the unit and integration tests with node:test under tsx.
// Node 20's --test does not expand globs, so we find the files ourselves.
// Usage: node scripts/run-tests.mjs [unit|integration] [name-filter]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const [tier, filter] = process.argv.slice(2);
const roots = ['kernel', 'pkgs', 'scripts', 'installers', 'electron'];
const skip = new Set(['node_modules', 'dist', '.git']);
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(unit|integration)\.test\.ts$/.test(name)) files.push(path);
  }
}
roots.forEach(walk);
const selected = files
  .filter((f) => !tier || f.includes(`.${tier}.test.`))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (selected.length === 0) { console.error('no test files found'); process.exit(1); }
console.log(`running ${selected.length} test files`);
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
