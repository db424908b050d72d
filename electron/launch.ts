// Can the Electron shell run on this machine? It needs Electron's binary (npm installs only the
// package; the binary is downloaded from GitHub on first use, which fails offline) and, on Linux, a
// display. When it cannot, `npm start` runs the zone headless instead (start.ts) and says why in one line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type LaunchPlan = { electron: true; binary: string } | { electron: false; why: string };

export interface LaunchFacts {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** node_modules/electron/path.txt (the binary's path inside dist/), if the package has one. */
  pathTxt: string | undefined;
  /** The folder of Electron's unpacked binary (node_modules/electron/dist, or ELECTRON_OVERRIDE_DIST_PATH). */
  distDir: string;
  exists: (path: string) => boolean;
}

export function launchPlan(f: LaunchFacts): LaunchPlan {
  if (f.env.BUCKYOS_HEADLESS === '1') return { electron: false, why: 'BUCKYOS_HEADLESS=1 asks for no window' };
  const binary = f.pathTxt ? join(f.distDir, f.pathTxt) : undefined;
  if (!binary || !f.exists(binary)) {
    return { electron: false, why: "Electron's binary is not installed (it is downloaded from GitHub on first use, which this machine cannot reach)" };
  }
  if (f.platform === 'linux' && !f.env.DISPLAY && !f.env.WAYLAND_DISPLAY) {
    return { electron: false, why: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };
  }
  return { electron: true, binary };
}

/** The facts of this machine, read without loading `electron` (which would try to download it). */
export function launchFacts(electronPkgDir: string): LaunchFacts {
  let pathTxt: string | undefined;
  try {
    pathTxt = readFileSync(join(electronPkgDir, 'path.txt'), 'utf8').trim() || undefined;
  } catch {
    pathTxt = undefined;
  }
  const env = process.env;
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH ?? join(electronPkgDir, 'dist');
  // With an override and no path.txt, Electron itself assumes the binary is named `electron`.
  if (!pathTxt && env.ELECTRON_OVERRIDE_DIST_PATH) pathTxt = process.platform === 'win32' ? 'electron.exe' : process.platform === 'darwin' ? 'Electron.app/Contents/MacOS/Electron' : 'electron';
  return { platform: process.platform, env, pathTxt, distDir, exists: existsSync };
}
