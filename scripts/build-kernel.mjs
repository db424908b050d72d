#!/usr/bin/env node
// Bundles the kernel and its CLI into dist/kernel/cli.mjs (dependencies stay external), so `buckyos`
// starts without compiling TypeScript at run time. Runs on `npm install` (prepare) and `npm run build`.
// dist/kernel/ sits as deep as kernel/cli/, so paths the CLI derives from import.meta.url still hold.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  // The gateway's data plane runs in a worker thread that loads its own entry (kernel/gateway/service.ts)
  // and the rtcp dialer module it is given (kernel/rtcp/node.ts rtcpDialerModule).
  entryPoints: [`${root}/kernel/cli.ts`, `${root}/kernel/gateway/data-plane-worker.ts`, `${root}/kernel/rtcp/gateway-dialer.ts`],
  outdir: `${root}/dist/kernel`,
  outExtension: { '.js': '.mjs' },
  // Each CLI verb is a dynamic import: split so `buckyos kv` does not load the whole kernel.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
