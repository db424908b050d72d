// The installers' electron-builder config (installers/electron-builder.json): the four targets, the app's
// identity, the buckyos:// scheme and .pkg association, the update feed, and that what it packs is
// what scripts/build-electron.mjs builds and package.json starts. It cannot be run here (no Electron
// download: installers/README.md), so what can be checked without running it is checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const config = JSON.parse(readFileSync(join(import.meta.dirname, 'electron-builder.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

test('Linux AppImage and deb, Windows nsis, macOS dmg, with the app id and product name', () => {
  assert.deepEqual([config.linux.target, config.win.target, config.mac.target], [['AppImage', 'deb'], ['nsis'], ['dmg']]);
  assert.equal(config.appId, 'ai.buckyos.desktop');
  assert.equal(config.productName, 'BuckyOS');
});

test('buckyos:// links and .pkg files open the app', () => {
  assert.deepEqual(config.protocols.flatMap((p: { schemes: string[] }) => p.schemes), ['buckyos']);
  assert.deepEqual(config.fileAssociations.map((f: { ext: string }) => f.ext), ['pkg']);
  assert.ok(config.linux.mimeTypes.includes('x-scheme-handler/buckyos'));
});

test('it packs what the build makes and package.json starts; icons come from the one source image', () => {
  assert.equal(pkg.main, 'dist/electron/main.mjs');
  assert.ok(config.files.includes('dist/electron/**'));
  assert.ok(config.files.includes('dist/renderer/**'));
  assert.deepEqual(config.asarUnpack, ['dist/renderer/**'], 'the kernel process reads the panel with plain fs');
  const build = readFileSync(join(root, 'scripts', 'build-electron.mjs'), 'utf8');
  for (const entry of ['main.ts', 'kernel-process.ts', 'preload.ts']) assert.match(build, new RegExp(`electron/${entry.replace('.', '\\.')}`));
  assert.ok(existsSync(join(import.meta.dirname, 'icon.png')));
  assert.equal(config.directories.buildResources, 'dist/icons');
  assert.match(pkg.scripts.dist, /make-icons|npm run icons/);
  assert.match(pkg.scripts.icons, /installers\/make-icons\.ts/);
});

test('updates: a release feed with stable and beta channel files; Windows checks the signature; data survives uninstall', () => {
  assert.equal(config.publish[0].provider, 'github');
  assert.equal(config.generateUpdatesFilesForAllChannels, true);
  assert.equal(config.win.verifyUpdateCodeSignature, true);
  assert.equal(config.nsis.deleteAppDataOnUninstall, false);
  assert.ok(pkg.dependencies['electron-updater'], 'electron-updater ships with the app');
});

test('Electron fuses: no NODE_OPTIONS or --inspect, the app only from its checked asar', () => {
  const f = config.electronFuses;
  assert.deepEqual([f.enableNodeOptionsEnvironmentVariable, f.enableNodeCliInspectArguments, f.onlyLoadAppFromAsar, f.enableEmbeddedAsarIntegrityValidation], [false, false, true, true]);
  // Apps whose command is "node" run on Electron's binary with ELECTRON_RUN_AS_NODE (kernel/node-daemon/env-contract.ts).
  assert.equal(f.runAsNode, true);
});
