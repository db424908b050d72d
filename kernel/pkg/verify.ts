// Checks every pkg meta must pass before anything is written anywhere: structure, a content list that
// cannot escape the install dir, consistent sizes, and the publisher's signature over the meta id.
import { Ajv, type ValidateFunction } from 'ajv';
import { KrpcError } from '../lib/errors.js';
import { signJwt, verifyJwt, nowSeconds } from '../lib/identity/jwt.js';
import { isEd25519PublicJwk, publicJwkFromPrivatePem } from '../lib/identity/keys.js';
import { canonicalJson } from './canonical-json.js';
import { validateManifest } from './manifest.js';
import { relativePathProblem } from './safe-path.js';
import {
  CHUNK_SIZE, FILE_MODES, INSTALLED_META_FILE, PKG_FORMAT, chunkCount, chunkLength, metaIdOf,
  type PkgMeta,
} from './format.js';

export interface PkgLimits {
  /** Bytes of meta.json (and of meta.sig). */
  maxMetaBytes: number;
  /** Total content bytes of the pkg (and, with tar overhead, of the .pkg file). */
  maxTotalBytes: number;
  maxFiles: number;
}

export const DEFAULT_LIMITS: PkgLimits = {
  maxMetaBytes: 4 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxFiles: 20_000,
};

const integrity = (msg: string) => new KrpcError('INTEGRITY', msg);
const tooLarge = (msg: string) => new KrpcError('PAYLOAD_TOO_LARGE', msg);

const SHA256_RE = '^[0-9a-f]{64}$';
const metaOnlySchema = {
  type: 'object',
  required: ['format', 'chunk_size', 'size', 'files', 'author_pk'],
  properties: {
    format: { const: PKG_FORMAT },
    chunk_size: { const: CHUNK_SIZE },
    size: { type: 'integer', minimum: 0 },
    author_pk: { type: 'object' },
    files: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'mode', 'size', 'chunks'],
        properties: {
          path: { type: 'string' },
          mode: { enum: [...FILE_MODES] },
          size: { type: 'integer', minimum: 0 },
          chunks: { type: 'array', items: { type: 'string', pattern: SHA256_RE } },
        },
      },
    },
  },
} as const;
// Compiled on first use: a node that installs nothing never pays for the generated validator.
let metaValidator: ValidateFunction | undefined;

/** Validates an untrusted meta; returns it typed. Throws INVALID_PARAMS / PAYLOAD_TOO_LARGE / INTEGRITY. */
export function validateMeta(input: unknown, limits: PkgLimits = DEFAULT_LIMITS): PkgMeta {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new KrpcError('INVALID_PARAMS', 'pkg meta must be a JSON object');
  const validateMetaOnly = (metaValidator ??= new Ajv({ allErrors: false, strict: false }).compile(metaOnlySchema));
  if (!validateMetaOnly(input)) {
    const e = validateMetaOnly.errors?.[0];
    const where = e?.instancePath ? `meta${e.instancePath.replace(/\//g, '.')}` : 'meta';
    throw new KrpcError('INVALID_PARAMS', `pkg meta is malformed: ${where} ${e?.message ?? 'is invalid'}`);
  }
  const { format, chunk_size, size, files, author_pk, ...manifestPart } = input as PkgMeta;
  if ('include' in manifestPart) throw new KrpcError('INVALID_PARAMS', 'pkg meta must not carry the build-only "include" list');
  const manifest = validateManifest(manifestPart, 'pkg meta');
  // A meta is signed as built, so it must already be complete: a default filled in here would change its id.
  if (canonicalJson(manifest) !== canonicalJson(manifestPart)) {
    throw new KrpcError('INVALID_PARAMS', 'pkg meta is incomplete: it omits fields the manifest defaults (deps, exposes, install, min_resources, platform, description)');
  }
  if (!isEd25519PublicJwk(author_pk)) throw new KrpcError('INVALID_PARAMS', 'pkg meta author_pk is not an Ed25519 public key (JWK)');
  if (files.length > limits.maxFiles) throw tooLarge(`pkg lists ${files.length} files; at most ${limits.maxFiles} are allowed`);
  if (size > limits.maxTotalBytes) throw tooLarge(`pkg content is ${size} bytes; at most ${limits.maxTotalBytes} are allowed`);

  const seen = new Set<string>();
  const dirs = new Set<string>();
  let total = 0;
  for (const f of files) {
    const problem = relativePathProblem(f.path);
    if (problem) throw new KrpcError('INVALID_PARAMS', `pkg content is unsafe: ${problem}`);
    if (f.path === INSTALLED_META_FILE) throw new KrpcError('INVALID_PARAMS', `pkg content must not contain ${INSTALLED_META_FILE} (reserved)`);
    // Two names that differ only in case or Unicode normalization are one file on macOS and Windows.
    const key = f.path.normalize('NFC').toLowerCase();
    if (seen.has(key)) throw new KrpcError('INVALID_PARAMS', `pkg content lists ${JSON.stringify(f.path)} twice`);
    seen.add(key);
    const segs = key.split('/');
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
    if (f.chunks.length !== chunkCount(f.size, chunk_size)) {
      throw integrity(`pkg meta is inconsistent: ${f.path} is ${f.size} bytes but lists ${f.chunks.length} chunks`);
    }
    total += f.size;
  }
  for (const key of seen) if (dirs.has(key)) throw new KrpcError('INVALID_PARAMS', `pkg content uses ${JSON.stringify(key)} both as a file and as a folder`);
  if (total !== size) throw integrity(`pkg meta is inconsistent: files add up to ${total} bytes but size says ${size}`);
  return { ...manifest, format, chunk_size, size, files, author_pk };
}

/** Length every chunk must have, checked against the meta; throws INTEGRITY on a contradiction. */
export function expectedChunkLengths(meta: PkgMeta): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of meta.files) {
    f.chunks.forEach((c, i) => {
      const len = chunkLength(f.size, meta.chunk_size, i);
      const prev = out.get(c);
      if (prev !== undefined && prev !== len) throw integrity(`pkg meta is inconsistent: chunk ${c} is used with two different lengths`);
      out.set(c, len);
    });
  }
  return out;
}

export interface PkgSignatureClaims {
  meta_id: string;
  name: string;
  version: string;
  iat: number;
}

export async function signMeta(meta: PkgMeta, publisherKeyPem: string): Promise<string> {
  if (publicJwkFromPrivatePem(publisherKeyPem).x !== meta.author_pk.x) throw new Error('the meta author_pk is not the public half of the publisher key');
  const claims: PkgSignatureClaims = { meta_id: metaIdOf(meta), name: meta.name, version: meta.version, iat: nowSeconds() };
  return signJwt({ ...claims }, publisherKeyPem, 'publisher');
}

/** Verifies meta.sig against the author key the meta embeds; returns the meta id it signs. */
export async function verifyMetaSignature(rawMeta: unknown, meta: PkgMeta, sig: string): Promise<string> {
  const metaId = metaIdOf(rawMeta);
  let claims: Record<string, unknown>;
  try {
    claims = await verifyJwt(sig.trim(), meta.author_pk, { requireExp: false });
  } catch {
    throw integrity(`the signature of ${meta.name}#${meta.version} does not verify with its author key; the pkg was altered or signed by someone else`);
  }
  if (claims.meta_id !== metaId) {
    throw integrity(`the signature of ${meta.name}#${meta.version} is for a different meta (${String(claims.meta_id)}); the meta was altered after signing`);
  }
  return metaId;
}
