// `buckyos pkg build DIR`: cut the folder's files into sha256-addressed chunks, write and sign the meta,
// and pack meta.json + meta.sig + the distinct chunks into one tar. The same folder with the same
// publisher key always yields the same meta id.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar';
import { KrpcError } from '../lib/errors.js';
import { publicJwkFromPrivatePem } from '../lib/identity/keys.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { CHUNK_SIZE, META_ENTRY, PKG_FORMAT, SIG_ENTRY, chunkEntryName, metaIdOf, type PkgFileEntry, type PkgMeta } from './format.js';
import { loadPublisherKey } from './publisher-key.js';
import { collectPkgSource, type SourceFile } from './source.js';
import { DEFAULT_LIMITS, signMeta } from './verify.js';

export interface BuildOptions {
  /** Output file; defaults to `<name>-<version>.pkg` in the current directory. */
  out?: string;
  /** The publisher key; defaults to the one at BUCKYOS_PUBLISHER_KEY or ~/.buckyos/publisher_key.pem. */
  publisherKeyPem?: string;
  /** Build this release: the folder plus the overlays `releases/<v>/` for every v ≤ release. */
  release?: string;
  onProgress?: (p: { file: string; done: number; total: number }) => void;
}

export interface BuildResult {
  file: string;
  meta: PkgMeta;
  metaId: string;
  /** Distinct chunks in the pkg file. */
  chunks: number;
}

/** Cuts one source file into chunks, writing every chunk not seen before to `chunkDir`. */
async function chunkFile(f: SourceFile, chunkDir: string, written: Set<string>): Promise<PkgFileEntry> {
  const chunks: string[] = [];
  let size = 0;
  const store = async (piece: Buffer) => {
    const sha = sha256Hex(piece);
    chunks.push(sha);
    size += piece.length;
    if (!written.has(sha)) {
      written.add(sha);
      await writeFile(join(chunkDir, sha), piece);
    }
  };
  if ('bytes' in f.source) {
    for (let off = 0; off < f.source.bytes.length; off += CHUNK_SIZE) await store(f.source.bytes.subarray(off, off + CHUNK_SIZE));
  } else {
    let pending: Buffer[] = [];
    let pendingLen = 0;
    for await (const data of createReadStream(f.source.file, { highWaterMark: CHUNK_SIZE })) {
      let buf = data as Buffer;
      while (pendingLen + buf.length >= CHUNK_SIZE) {
        const take = CHUNK_SIZE - pendingLen;
        await store(Buffer.concat([...pending, buf.subarray(0, take)]));
        buf = buf.subarray(take);
        pending = [];
        pendingLen = 0;
      }
      if (buf.length > 0) {
        pending.push(buf);
        pendingLen += buf.length;
      }
    }
    if (pendingLen > 0) await store(Buffer.concat(pending));
  }
  if (size !== f.size) throw new KrpcError('FAILED_PRECONDITION', `${f.path} changed while the pkg was being built; build again`);
  return { path: f.path, mode: f.mode, size, chunks };
}

export async function buildPkg(dir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const source = await collectPkgSource(dir, opts.release);
  const total = source.files.reduce((n, f) => n + f.size, 0);
  if (total > DEFAULT_LIMITS.maxTotalBytes) {
    throw new KrpcError('PAYLOAD_TOO_LARGE', `${dir} holds ${total} bytes of content; a pkg may hold at most ${DEFAULT_LIMITS.maxTotalBytes}`);
  }
  if (source.files.length > DEFAULT_LIMITS.maxFiles) {
    throw new KrpcError('PAYLOAD_TOO_LARGE', `${dir} holds ${source.files.length} files; a pkg may hold at most ${DEFAULT_LIMITS.maxFiles}`);
  }
  const publisherKeyPem = opts.publisherKeyPem ?? (await loadPublisherKey());
  const { include: _buildInput, ...manifest } = source.manifest;
  const out = resolve(opts.out ?? `${manifest.name}-${manifest.version}.pkg`);

  const staging = await mkdtemp(join(tmpdir(), 'buckyos-pkg-build-'));
  try {
    const chunkDir = join(staging, 'chunks');
    await mkdir(chunkDir);
    const written = new Set<string>();
    const files: PkgFileEntry[] = [];
    let done = 0;
    for (const f of source.files) {
      files.push(await chunkFile(f, chunkDir, written));
      done += f.size;
      opts.onProgress?.({ file: f.path, done, total });
    }
    const meta: PkgMeta = {
      ...manifest,
      format: PKG_FORMAT,
      chunk_size: CHUNK_SIZE,
      size: total,
      files,
      author_pk: publicJwkFromPrivatePem(publisherKeyPem),
    };
    await writeFile(join(staging, META_ENTRY), canonicalJson(meta));
    await writeFile(join(staging, SIG_ENTRY), await signMeta(meta, publisherKeyPem));

    await mkdir(dirname(out), { recursive: true });
    const tmpOut = `${out}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // portable + a fixed mtime: no owner, host or time in the tar, so rebuilding gives the same chunks entries.
      await tar.create({ file: tmpOut, cwd: staging, portable: true, mtime: new Date(0) }, [
        META_ENTRY,
        SIG_ENTRY,
        ...[...written].sort().map(chunkEntryName),
      ]);
      await rename(tmpOut, out);
    } catch (e) {
      await rm(tmpOut, { force: true });
      throw e;
    }
    return { file: out, meta, metaId: metaIdOf(meta), chunks: written.size };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
