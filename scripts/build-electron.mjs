#!/usr/bin/env node
// Bundles the desktop shell into dist/electron/: main.mjs (Electron's main process, ESM),
// preload.cjs (a sandboxed preload must be one CommonJS file) and kernel-process.mjs (the embedded
// OOD, run by utilityProcess or as a Node child). Packages stay external: the app ships node_modules.
// Run by `npm run build`, `npm run dist` and `npm start`.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = { bundle: true, platform: 'node', packages: 'external', sourcemap: 'linked', logLevel: 'warning', target: 'node22' };
await Promise.all([
  build({ ...common, entryPoints: [`${root}/electron/main.ts`, `${root}/electron/kernel-process.ts`], outdir: `${root}/dist/electron`, format: 'esm', outExtension: { '.js': '.mjs' } }),
  build({ ...common, entryPoints: [`${root}/electron/preload.ts`], outdir: `${root}/dist/electron`, format: 'cjs', outExtension: { '.js': '.cjs' } }),
  // The gateway's data plane runs in a worker thread that loads this entry (kernel/gateway/service.ts),
  // and the rtcp dialer module it imports there (kernel/rtcp/node.ts rtcpDialerModule).
  build({ ...common, entryPoints: { 'gateway/data-plane-worker': `${root}/kernel/gateway/data-plane-worker.ts`, 'rtcp/gateway-dialer': `${root}/kernel/rtcp/gateway-dialer.ts` }, outdir: `${root}/dist/electron`, format: 'esm', outExtension: { '.js': '.mjs' } }),
]);
