// Errors on the repo's plain HTTP routes (upload, chunks): the same `{error: "<CODE>: <message>"}` body
// as kRPC, with an HTTP status a download tool or proxy understands.
import type { FastifyReply } from 'fastify';
import { KrpcError, type ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';

const STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_PARAMS: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  VERSION_CONFLICT: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  INTEGRITY: 422,
  RATE_LIMITED: 429,
  RESOURCE_EXHAUSTED: 507,
  UNAVAILABLE: 503,
  TIMEOUT: 504,
};

export interface HttpErrorOptions {
  headers?: Record<string, string>;
  /** Overrides the status the error code maps to (e.g. 416 for a bad range). */
  status?: number;
}

export function sendHttpError(reply: FastifyReply, e: unknown, log: Logger, opts: HttpErrorOptions = {}): FastifyReply {
  let wire: KrpcError;
  if (e instanceof KrpcError) wire = e;
  else {
    log.error('repo route failed', { url: reply.request.url, err: (e as Error)?.message, stack: (e as Error)?.stack });
    wire = new KrpcError('INTERNAL', 'internal error; see the node log');
  }
  return reply
    .code(opts.status ?? STATUS[wire.code] ?? 500)
    .headers({ 'content-type': 'application/json; charset=utf-8', ...opts.headers })
    .send(JSON.stringify({ error: wire.toWire() }));
}
