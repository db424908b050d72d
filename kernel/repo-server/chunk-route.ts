// GET /kapi/repo/chunk/<sha256>: serves one chunk to a node, with single-range support so a broken
// download resumes where it stopped (206 + Content-Range; 416 for a range the chunk cannot satisfy).
// Chunks are immutable, so the ETag is the hash itself. POST /kapi/repo/chunks: many whole chunks per request.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { invalidParams, KrpcError, notFound } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { bearerToken, type RepoGuard, type RepoPrincipal } from './access.js';
import { SHA256_RE, type ChunkStore } from './chunk-store.js';
import { sendHttpError } from './http-error.js';
import { dropRestOfBody } from '../lib/krpc/server.js';
import { parseRange } from './range.js';
import { BATCH_FRAME_HEADER, CHUNK_PATH, CHUNKS_PATH, MAX_BATCH_CHUNKS } from './wire.js';

export function registerChunkRoute<P extends RepoPrincipal>(app: FastifyInstance, deps: { store: ChunkStore; guard: RepoGuard<P>; log: Logger }): void {
  const { store, guard, log } = deps;
  app.get(`${CHUNK_PATH}/:sha`, async (req, reply) => {
    try {
      const sha = (req.params as { sha: string }).sha;
      if (!SHA256_RE.test(sha)) throw invalidParams(`${JSON.stringify(sha.slice(0, 80))} is not a chunk id (64 lower-case hex digits)`);
      await guard.check(bearerToken(req.headers.authorization), 'read');
      let fh;
      try {
        fh = await open(store.path(sha), 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`chunk ${sha} is not in this repo; prepare the pkg that lists it first`);
        throw e;
      }
      const size = (await fh.stat()).size;
      const etag = `"${sha}"`;
      reply.headers({ etag, 'accept-ranges': 'bytes', 'cache-control': 'private, max-age=31536000, immutable' });
      if (req.headers['if-none-match'] === etag || size === 0) {
        await fh.close();
        return reply.code(size === 0 ? 200 : 304).send();
      }
      const range = parseRange(req.headers.range, size);
      if (range.kind === 'invalid') {
        await fh.close();
        const err = new KrpcError('INVALID_PARAMS', `cannot serve that range of chunk ${sha}: ${range.reason}`);
        return sendHttpError(reply, err, log, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      }
      const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
      reply.code(range.kind === 'partial' ? 206 : 200).headers({ 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1) });
      if (range.kind === 'partial') reply.header('content-range', `bytes ${start}-${end}/${size}`);
      // The open handle keeps the bytes readable even if GC unlinks the chunk meanwhile.
      return reply.send(fh.createReadStream({ start, end, autoClose: true }));
    } catch (e) {
      return sendHttpError(reply, e, log);
    }
  });
}

const BATCH_BODY_LIMIT = 64 * 1024;

/** The request body's chunk ids, or INVALID_PARAMS saying what is wrong with it. */
function batchIds(body: unknown): string[] {
  const ids = (body as { chunks?: unknown } | null)?.chunks;
  if (!Array.isArray(ids)) throw invalidParams('the body must be {"chunks": [<sha256>, …]}');
  if (ids.length === 0) throw invalidParams('name at least one chunk');
  if (ids.length > MAX_BATCH_CHUNKS) throw invalidParams(`at most ${MAX_BATCH_CHUNKS} chunks per request (got ${ids.length}); split the list`);
  for (const id of ids) {
    if (typeof id !== 'string' || !SHA256_RE.test(id)) throw invalidParams(`${JSON.stringify(id)?.slice(0, 80)} is not a chunk id (64 lower-case hex digits)`);
  }
  return ids as string[];
}

/** Fastify's own refusals of the body (not JSON, too large, wrong type) as our HTTP errors. */
function bodyError(e: Error & { code?: string }): KrpcError {
  if (e instanceof KrpcError) return e;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new KrpcError('PAYLOAD_TOO_LARGE', `a chunk list is at most ${BATCH_BODY_LIMIT} bytes`);
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return invalidParams('the body must be application/json');
  if (e.code?.startsWith('FST_ERR_CTP_') || e instanceof SyntaxError) return invalidParams('the body is not valid JSON; send {"chunks": [<sha256>, …]}');
  return e as KrpcError;
}

/**
 * POST /kapi/repo/chunks: several whole chunks in one answer, so a node pays the request and token cost
 * once per batch. Every chunk is opened before the answer starts: a missing one is a 404, not a cut stream.
 */
export function registerChunksRoute<P extends RepoPrincipal>(app: FastifyInstance, deps: { store: ChunkStore; guard: RepoGuard<P>; log: Logger }): void {
  const { store, guard, log } = deps;
  app.post(CHUNKS_PATH, {
    bodyLimit: BATCH_BODY_LIMIT,
    // A refused body is read and dropped first (as every kRPC route does): a caller or gateway still
    // sending it would otherwise meet a reset connection instead of our 413 (the gateway then says 502).
    errorHandler: async (e, req, reply) => {
      await dropRestOfBody(req.raw);
      return sendHttpError(reply, bodyError(e), log);
    },
  }, async (req, reply) => {
    const handles: FileHandle[] = [];
    try {
      const ids = batchIds(req.body);
      await guard.check(bearerToken(req.headers.authorization), 'read');
      const sizes: number[] = [];
      for (const sha of ids) {
        try {
          handles.push(await open(store.path(sha), 'r'));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`chunk ${sha} is not in this repo; prepare the pkg that lists it first`);
          throw e;
        }
        sizes.push((await handles[handles.length - 1].stat()).size);
      }
      const length = sizes.reduce((n, s) => n + BATCH_FRAME_HEADER + s, 0);
      reply.code(200).headers({ 'content-type': 'application/octet-stream', 'content-length': String(length) });
      // The open handles keep the bytes readable even if GC unlinks a chunk meanwhile.
      const owned = handles.splice(0);
      const body = Readable.from(frames(owned, sizes));
      // A caller that goes away before the first frame leaves the generator unstarted, so its finally
      // never runs: the handles are closed when the stream closes (closing twice is harmless).
      body.once('close', () => void Promise.allSettled(owned.map((fh) => fh.close())));
      return reply.send(body);
    } catch (e) {
      await Promise.allSettled(handles.map((fh) => fh.close()));
      return sendHttpError(reply, e, log);
    }
  });
}

async function* frames(handles: FileHandle[], sizes: number[]): AsyncGenerator<Buffer> {
  try {
    for (const [i, fh] of handles.entries()) {
      const frame = Buffer.allocUnsafe(BATCH_FRAME_HEADER + sizes[i]);
      frame.writeUInt32BE(sizes[i], 0);
      let at = 0;
      while (at < sizes[i]) {
        const { bytesRead } = await fh.read(frame, BATCH_FRAME_HEADER + at, sizes[i] - at, at);
        if (bytesRead === 0) throw new KrpcError('INTERNAL', `chunk file ${i} ended early`);
        at += bytesRead;
      }
      yield frame;
    }
  } finally {
    await Promise.allSettled(handles.map((fh) => fh.close()));
  }
}
