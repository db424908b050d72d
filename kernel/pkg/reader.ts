// Opens an untrusted `.pkg` file: one streaming pass over the tar checks every entry (only meta.json,
// meta.sig and chunks/<sha256>; no links, devices, absolute or climbing paths), enforces the size limits,
// hashes every chunk against its name, then validates the meta and its signature. Chunks are later read
// in place by offset and hashed again, so the file is never extracted and never trusted twice.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import * as tar from 'tar';
import { KrpcError } from '../lib/errors.js';
import { sameKey, type Ed25519PublicJwk } from '../lib/identity/keys.js';
import { sha256Hex } from './canonical-json.js';
import { CHUNK_ENTRY_RE, CHUNK_SIZE, META_ENTRY, SIG_ENTRY, chunkEntryName, type PkgMeta } from './format.js';
import { DEFAULT_LIMITS, expectedChunkLengths, validateMeta, verifyMetaSignature, type PkgLimits } from './verify.js';

const BLOCK = 512;
const padded = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

export type FetchChunk = (sha256: string, onBytes?: (n: number) => void) => Promise<Buffer>;

export interface ChunkReader {
  /** sha256 → length of every chunk in the file. */
  readonly chunks: ReadonlyMap<string, number>;
  has(sha256: string): boolean;
  /** The chunk's bytes, hashed again on every read. */
  read(sha256: string): Promise<Buffer>;
}

export interface PkgFile {
  meta: PkgMeta;
  metaId: string;
  /** meta.json and meta.sig exactly as stored, for a repo that republishes them. */
  metaJson: string;
  signature: string;
  chunkReader: ChunkReader;
  /** chunkReader.read in the shape the pkg-env's install takes. */
  fetchChunk: FetchChunk;
}

const invalid = (msg: string) => new KrpcError('INVALID_PARAMS', msg);
const integrity = (msg: string) => new KrpcError('INTEGRITY', msg);
const tooLarge = (msg: string) => new KrpcError('PAYLOAD_TOO_LARGE', msg);

interface TarScan {
  metaBytes?: Buffer;
  sigBytes?: Buffer;
  /** sha256 → { header offset, data length } */
  chunks: Map<string, { offset: number; length: number }>;
}

function checkEntryHeader(e: tar.ReadEntry, scan: TarScan, limits: PkgLimits, chunkBytes: number): void {
  const name = e.path;
  const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
  if (e.extended || e.globalExtended) throw invalid(`pkg file entry ${shown} uses extended tar headers, which a pkg never needs`);
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw invalid(`pkg file entry ${shown} has an absolute path; refusing to install it`);
  if (name.split(/[\\/]/).includes('..')) throw invalid(`pkg file entry ${shown} climbs out of the pkg with ".."; refusing to install it`);
  if (e.type !== 'File') {
    const what = /Link/.test(e.type) ? `a link to ${JSON.stringify(e.linkpath ?? '')}` : `a ${e.type}`;
    throw invalid(`pkg file entry ${shown} is ${what}; a pkg holds only regular files`);
  }
  if (name === META_ENTRY || name === SIG_ENTRY) {
    if ((name === META_ENTRY ? scan.metaBytes : scan.sigBytes) !== undefined) throw invalid(`pkg file holds ${name} twice`);
    if (e.size > limits.maxMetaBytes) throw tooLarge(`pkg ${name} is ${e.size} bytes; at most ${limits.maxMetaBytes} are allowed`);
    return;
  }
  const m = CHUNK_ENTRY_RE.exec(name);
  if (!m) throw invalid(`pkg file entry ${shown} is not part of the pkg format (meta.json, meta.sig, chunks/<sha256>)`);
  if (scan.chunks.has(m[1])) throw invalid(`pkg file holds chunk ${m[1]} twice`);
  if (e.size > CHUNK_SIZE) throw tooLarge(`pkg chunk ${m[1]} is ${e.size} bytes; chunks are at most ${CHUNK_SIZE}`);
  if (chunkBytes + e.size > limits.maxTotalBytes) throw tooLarge(`pkg content is larger than the ${limits.maxTotalBytes} bytes allowed`);
  if (scan.chunks.size + 1 > maxChunks(limits)) throw tooLarge(`pkg holds more than ${maxChunks(limits)} chunks`);
}

const maxChunks = (limits: PkgLimits) => Math.ceil(limits.maxTotalBytes / CHUNK_SIZE) + limits.maxFiles;

/** The largest .pkg file that can hold content within the limits (tar headers and padding included). */
const maxFileBytes = (limits: PkgLimits) => limits.maxTotalBytes + 2 * (limits.maxMetaBytes + 2 * BLOCK) + maxChunks(limits) * 2 * BLOCK + 20 * BLOCK;

async function scanTar(file: string, limits: PkgLimits): Promise<TarScan> {
  const scan: TarScan = { chunks: new Map() };
  const parser = new tar.Parser({ strict: true });
  const input = createReadStream(file);
  let failure: unknown;
  let offset = 0;
  let chunkBytes = 0;
  let sawNullBlock = false;
  const fail = (e: unknown) => {
    if (failure) return;
    failure = e;
    input.destroy();
    parser.abort(e instanceof Error ? e : new Error(String(e)));
  };
  parser.on('nullBlock', () => { sawNullBlock = true; });
  parser.on('ignoredEntry', (e: tar.ReadEntry) => fail(invalid(`pkg file entry ${JSON.stringify(e.path)} is not a regular file`)));
  parser.on('entry', (e: tar.ReadEntry) => {
    try {
      if (sawNullBlock) throw invalid('pkg file has entries after an empty block; it is not a tar this tool writes');
      checkEntryHeader(e, scan, limits, chunkBytes);
    } catch (err) {
      e.resume();
      return fail(err);
    }
    const headerOffset = offset;
    offset += BLOCK + padded(e.size);
    const m = CHUNK_ENTRY_RE.exec(e.path);
    if (m) {
      chunkBytes += e.size;
      const hash = createHash('sha256');
      e.on('data', (d: Buffer) => hash.update(d));
      e.on('end', () => {
        if (hash.digest('hex') !== m[1]) return fail(integrity(`pkg chunk ${m[1]} is damaged: its content does not match its hash`));
        scan.chunks.set(m[1], { offset: headerOffset, length: e.size });
      });
    } else {
      const parts: Buffer[] = [];
      e.on('data', (d: Buffer) => parts.push(d));
      e.on('end', () => {
        if (e.path === META_ENTRY) scan.metaBytes = Buffer.concat(parts);
        else scan.sigBytes = Buffer.concat(parts);
      });
    }
  });
  await new Promise<void>((resolve) => {
    parser.on('error', (e: Error) => {
      if (!failure) failure = invalid(`pkg file is not a valid tar (${e.message.replace(/^TAR_[A-Z_]+: /, '')})`);
      input.destroy();
      resolve();
    });
    parser.on('abort', () => resolve());
    parser.on('end', () => resolve());
    input.on('error', (e) => fail(invalid(`cannot read the pkg file: ${e.message}`)));
    input.pipe(parser);
  });
  if (failure) throw failure;
  return scan;
}

async function assertPlainTar(file: string, limits: PkgLimits): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (e) {
    throw new KrpcError('NOT_FOUND', `pkg file ${file} cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  if (size > maxFileBytes(limits)) throw tooLarge(`pkg file is ${size} bytes; a pkg within the limits is at most ${maxFileBytes(limits)}`);
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(BLOCK);
    const { bytesRead } = await fh.read(head, 0, BLOCK, 0);
    if (bytesRead < BLOCK || head.subarray(257, 262).toString('latin1') !== 'ustar') {
      throw invalid(`${file} is not a pkg file (expected an uncompressed tar as "buckyos pkg build" writes)`);
    }
  } finally {
    await fh.close();
  }
  return size;
}

function offsetReader(file: string, index: Map<string, { offset: number; length: number }>): ChunkReader {
  const chunks = new Map([...index].map(([sha, c]) => [sha, c.length]));
  return {
    chunks,
    has: (sha) => index.has(sha),
    async read(sha) {
      const c = index.get(sha);
      if (!c) throw new KrpcError('NOT_FOUND', `chunk ${sha} is not in this pkg file`);
      const fh = await open(file, 'r');
      try {
        const buf = Buffer.alloc(c.length);
        const { bytesRead } = await fh.read(buf, 0, c.length, c.offset + BLOCK);
        if (bytesRead !== c.length || sha256Hex(buf) !== sha) throw integrity(`chunk ${sha} in ${file} changed after the pkg was checked`);
        return buf;
      } finally {
        await fh.close();
      }
    },
  };
}

/** Confirms each chunk's header sits where the offset arithmetic says, so reads by offset hit the right bytes. */
async function confirmOffsets(file: string, index: Map<string, { offset: number }>): Promise<void> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(100);
    for (const [sha, c] of index) {
      await fh.read(head, 0, 100, c.offset);
      const name = chunkEntryName(sha);
      if (head.subarray(0, name.length).toString('latin1') !== name || head[name.length] !== 0) {
        throw invalid('pkg file layout is not one this tool writes (entries are not where their headers say)');
      }
    }
  } finally {
    await fh.close();
  }
}

export interface ReadPkgOptions {
  limits?: Partial<PkgLimits>;
  /** When given, the pkg must be signed by one of these keys (e.g. a repo accepting a publish). */
  trustedAuthors?: readonly Ed25519PublicJwk[];
}

export async function readPkgFile(file: string, opts: ReadPkgOptions = {}): Promise<PkgFile> {
  const limits: PkgLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  await assertPlainTar(file, limits);
  const scan = await scanTar(file, limits);
  if (!scan.metaBytes) throw invalid('pkg file has no meta.json');
  if (!scan.sigBytes) throw invalid('pkg file has no meta.sig; it is not signed');

  const metaJson = scan.metaBytes.toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(metaJson);
  } catch {
    throw invalid('pkg meta.json is not valid JSON');
  }
  const meta = validateMeta(raw, limits);
  const signature = scan.sigBytes.toString('utf8');
  const metaId = await verifyMetaSignature(raw, meta, signature);
  if (opts.trustedAuthors && !opts.trustedAuthors.some((k) => sameKey(k, meta.author_pk))) {
    throw new KrpcError('PERMISSION_DENIED', `${meta.name}#${meta.version} is signed by a publisher key this zone does not trust (${meta.author_pk.x})`);
  }

  for (const [sha, length] of expectedChunkLengths(meta)) {
    const c = scan.chunks.get(sha);
    if (!c) throw integrity(`pkg file is missing chunk ${sha}, which its meta lists`);
    if (c.length !== length) throw integrity(`pkg chunk ${sha} is ${c.length} bytes but the meta expects ${length}`);
  }
  const listed = expectedChunkLengths(meta);
  for (const sha of scan.chunks.keys()) if (!listed.has(sha)) throw integrity(`pkg file holds chunk ${sha}, which its meta does not list`);
  await confirmOffsets(file, scan.chunks);

  const chunkReader = offsetReader(file, scan.chunks);
  return { meta, metaId, metaJson, signature, chunkReader, fetchChunk: (sha) => chunkReader.read(sha) };
}
