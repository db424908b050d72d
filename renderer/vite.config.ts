// One build of the control panel for every place it runs: the gateway (/ of :3180), an unactivated
// device (:3182) and, later, Electron. `base: './'` keeps it relocatable and the screens are lazy
// chunks, so the first paint loads only the shell.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  test: {
    root: here,
    include: ['src/**/*.unit.test.{ts,tsx}'],
    environment: 'node',
  },
});
