// GET /kapi/repo/chunk/<sha256>: serves one chunk to a node, with single-range support so a broken
// download resumes where it stopped (206 + Content-Range; 416 for a range the chunk cannot satisfy).
// Chunks are immutable, so the ETag is the hash itself.
import { open } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { invalidParams, KrpcError, notFound } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { bearerToken, type RepoGuard, type RepoPrincipal } from './access.js';
import { SHA256_RE, type ChunkStore } from './chunk-store.js';
import { sendHttpError } from './http-error.js';
import { parseRange } from './range.js';
import { CHUNK_PATH } from './wire.js';

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
