// Helpers shared by the pkg tests: temp folders, unique loopback addresses, small pkg folders, tree
// listings, and raw tar writing so tests can craft the malicious archives our own builder would never produce.
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createServer, type Server } from 'node:net';
import * as tar from 'tar';
import { tempDir as harnessTempDir } from '../testing/harness.js';

export { randomLoopback } from '../testing/harness.js';
export const tempDir = async (prefix: string) => (await harnessTempDir(`buckyos-${prefix}-`)).path;

export const baseManifest = (name: string, version = '1.0.0') => ({
  name,
  version,
  description: 'test pkg',
  start: { cmd: ['node', 'main.mjs'] },
  health: { path: '/health' },
});

/** A pkg folder with `pkg.json` and the given files (path → content). */
export async function makePkgFolder(dir: string, manifest: object, files: Record<string, string | Buffer>): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'pkg.json'), JSON.stringify(manifest, null, 2));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

/** Every path under `dir` (directories end in `/`, links show their target, files their size when `sizes`), to prove a refusal changed nothing. */
export async function treeListing(dir: string, opts: { sizes: boolean }, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, rel))).sort()) {
    const p = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(dir, p));
    if (st.isSymbolicLink()) out.push(`${p} -> ${await readlink(join(dir, p))}`);
    else if (st.isDirectory()) out.push(`${p}/`, ...(await treeListing(dir, opts, p)));
    else out.push(opts.sizes ? `${p} ${st.size}` : p);
  }
  return out;
}

export interface RawEntry {
  path: string;
  type?: 'File' | 'SymbolicLink' | 'Link' | 'Directory' | 'CharacterDevice' | 'FIFO';
  linkpath?: string;
  data?: Buffer;
}

/** Writes a tar byte for byte from `entries`, with no sanitising of paths or types. */
export function rawTar(entries: RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const header = Buffer.alloc(512);
    new tar.Header({
      path: e.path,
      type: e.type ?? 'File',
      linkpath: e.linkpath,
      mode: 0o644,
      size: e.type === undefined || e.type === 'File' ? data.length : 0,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    }).encode(header, 0);
    blocks.push(header);
    if (e.type === undefined || e.type === 'File') {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The regular-file entries of a tar (to repack a pkg with changes). */
export async function tarEntries(file: string): Promise<RawEntry[]> {
  const out: RawEntry[] = [];
  await tar.list({
    file,
    onReadEntry: (e) => {
      const parts: Buffer[] = [];
      e.on('data', (d: Buffer) => parts.push(d));
      e.on('end', () => out.push({ path: e.path, data: Buffer.concat(parts) }));
    },
  });
  return out;
}

/** Occupies `port` on `host` (the "hint port is taken" case); resolves undefined if it is already in use. */
export function occupyPort(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, host, () => resolve(s));
  });
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}
