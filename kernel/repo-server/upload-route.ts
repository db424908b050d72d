// PUT /kapi/repo/upload?name=<pkg>[&force_author_change=true]: the streaming publish route. The caller's
// token and its right to publish `name` are checked before a byte is read; the body is streamed to a temp
// file under a size limit, then checked as an untrusted pkg (signature, chunk hashes, safe paths, limits)
// and only then imported. A refused upload leaves nothing behind.
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { discardBody } from '../lib/discard-body.js';
import { diskFull, invalidParams, isDiskFull, KrpcError } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { pkgNameProblem } from '../pkg/id.js';
import { readPkgFile } from '../pkg/reader.js';
import { bearerToken, type RepoGuard, type RepoPrincipal } from './access.js';
import { sendHttpError } from './http-error.js';
import type { Repo } from './repo.js';
import { UPLOAD_PATH } from './wire.js';

export interface UploadRouteOptions<P extends RepoPrincipal> {
  repo: Repo;
  guard: RepoGuard<P>;
  log: Logger;
  maxUploadBytes: number;
  maxConcurrentUploads: number;
}

const tooLarge = (limit: number) => new KrpcError('PAYLOAD_TOO_LARGE', `the upload is larger than the ${limit} bytes this repo accepts for one pkg`);

/** The pkg reader names the file it reads; for an upload that is our temp file, which the client never named. */
const withoutTempPath = (e: unknown, tmp: string) =>
  e instanceof KrpcError && e.message.includes(tmp) ? new KrpcError(e.code, e.message.split(tmp).join('the uploaded pkg file')) : e;

/**
 * Streams the request body into `file`, refusing more than `limit` bytes. Unlike pipeline() it never
 * destroys the request on failure: the connection must survive long enough to carry our answer.
 */
function receiveBody(req: IncomingMessage, file: string, limit: number, root: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    let seen = 0;
    let settled = false;
    const fail = (e: KrpcError) => {
      if (settled) return;
      settled = true;
      req.unpipe(limiter);
      out.destroy();
      reject(e);
    };
    const limiter = new Transform({
      transform(piece: Buffer, _enc, done) {
        seen += piece.length;
        if (seen > limit) return fail(tooLarge(limit));
        done(null, piece);
      },
    });
    const brokeOff = () => fail(invalidParams('the upload broke off before the whole pkg file arrived; publish again'));
    req.on('aborted', brokeOff);
    req.on('error', brokeOff);
    req.on('close', () => {
      if (!req.readableEnded) brokeOff();
    });
    out.on('error', (e) => fail(isDiskFull(e)
      ? diskFull(root, 'the upload was not stored')
      : new KrpcError('UNAVAILABLE', `the repo cannot store the upload (${(e as NodeJS.ErrnoException).code ?? e.message}); check its disk`)));
    out.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    req.pipe(limiter).pipe(out);
  });
}


function flag(value: unknown): boolean {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw invalidParams('force_author_change must be true or false');
}

export function registerUploadRoute<P extends RepoPrincipal>(app: FastifyInstance, opts: UploadRouteOptions<P>): void {
  const { repo, guard, log, maxUploadBytes } = opts;
  let active = 0;
  app.register(async (scope) => {
    // The body is the raw pkg file: read it from the request stream, never through a buffering parser.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.put(UPLOAD_PATH, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      let bodyRead = false;
      let holdsSlot = false;
      const tmp = join(repo.tmpDir, `upload-${randomBytes(8).toString('hex')}.pkg`);
      try {
        const name = query.name;
        const problem = pkgNameProblem(name);
        if (problem) throw invalidParams(`the upload needs ?name=<pkg name> (the name inside the pkg file): ${problem}`);
        const forceAuthorChange = flag(query.force_author_change);
        const principal = await guard.check(bearerToken(req.headers.authorization), 'publish', name as string);
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > maxUploadBytes) throw tooLarge(maxUploadBytes);
        if (active >= opts.maxConcurrentUploads) throw new KrpcError('RATE_LIMITED', `${active} uploads are already running; try again when one has finished`);
        active++;
        holdsSlot = true;

        await receiveBody(req.raw, tmp, maxUploadBytes, repo.root);
        bodyRead = true;
        const pkg = await readPkgFile(tmp, { limits: repo.limits });
        if (pkg.meta.name !== name) throw invalidParams(`the upload was declared as ${String(name)} but the pkg file holds ${pkg.meta.name}`);
        const result = await repo.publish(pkg, { forceAuthorChange });
        log.info('upload published', { id: `${result.name}#${result.version}`, by: principal.userId, already: result.already_published });
        return reply.send({ result });
      } catch (e) {
        if (!bodyRead) discardBody(req.raw);
        // Out of room while importing (chunks, index): what landed is unreferenced and the pkg is not listed.
        return sendHttpError(reply, isDiskFull(e) ? diskFull(repo.root, 'the pkg was not stored') : withoutTempPath(e, tmp), log);
      } finally {
        if (holdsSlot) active--;
        await rm(tmp, { force: true });
      }
    });
  });
}
