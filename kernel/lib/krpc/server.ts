// kRPC over HTTP, wire-compatible with BuckyOS: POST {method, params, sys:[seq, token?, trace_id?]}
// → HTTP 200 {result, sys:[seq]} | {error: "<CODE>: <message>", sys:[seq]}. Every service mounts its
// methods with registerKrpc; createHttpServer gives all our HTTP servers the same bad-input behaviour.
import type { IncomingMessage } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import { KrpcError } from '../errors.js';
import type { Logger } from '../log.js';
import type { MethodMap } from '../../api/krpc.js';
import type { SchemaProblems } from './schema-check.js';
import { KAPI } from '../../api/krpc.js';

export interface KrpcContext {
  seq: number;
  /** The session token from sys[1], if any. Services verify it themselves. */
  token: string | undefined;
  traceId: string | undefined;
  ip: string;
  request: FastifyRequest;
}

type Awaitable<T> = T | Promise<T>;

export interface KrpcMethod<P = never, R = unknown> {
  /** JSON schema of `params`; requests that do not match get INVALID_PARAMS before the handler runs. */
  params?: object;
  handler: (params: P, ctx: KrpcContext) => Awaitable<R>;
}
// Handlers are stored type-erased; krpcMethods() is where their types are checked.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KrpcMethods = Record<string, KrpcMethod<any, unknown>>;

/** A service's handlers, typed by its method map in kernel/api. */
export type KrpcImpl<M extends MethodMap<M>> = { [K in keyof M]: Required<KrpcMethod<M[K]['params'], M[K]['result']>> };

type SchemaDisagreements<M extends MethodMap<M>, T> = {
  [K in keyof M]: K extends keyof T
    ? T[K] extends { params: infer S } ? ([SchemaProblems<S, M[K]['params']>] extends [never] ? never : `${K & string}.${SchemaProblems<S, M[K]['params']>}`) : never
    : never;
}[keyof M];

/** What krpcMethods() returns when a schema disagrees with kernel/api: registerKrpc refuses it, naming the problem. */
export interface SchemaDisagreesWithKernelApi<Problems> { schemaDisagreesWithKernelApi: Problems }

/**
 * The one way to declare a service's kRPC methods: `krpcMethods<XMethods>()({ … })`. Every method of
 * the map must be there, each handler takes the map's params and returns its result, and each JSON
 * schema must agree with the params type (schema-check.ts); a disagreement fails the type check.
 */
export function krpcMethods<M extends MethodMap<M>>() {
  return <const T extends KrpcImpl<M>>(impl: T) =>
    impl as unknown as [SchemaDisagreements<M, T>] extends [never] ? KrpcMethods : SchemaDisagreesWithKernelApi<SchemaDisagreements<M, T>>;
}

export interface KrpcRouteOptions {
  log: Logger;
  /** Called before every method; throw a KrpcError to refuse (e.g. token checks shared by all methods). */
  before?: (method: string, ctx: KrpcContext) => void | Promise<void>;
}

const ajv = new Ajv({ allErrors: false, strict: false, coerceTypes: false, useDefaults: true });

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function createHttpServer(opts: { log: Logger; bodyLimit?: number }): FastifyInstance {
  const app = Fastify({
    logger: false, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, keepAliveTimeout: 65_000,
    // The router's own refusals (bad percent-encoding, an over-long path parameter) in our error shape.
    frameworkErrors: (err, _req, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const wire = new KrpcError('INVALID_PARAMS', tooLong ? 'a part of the URL path is too long' : 'the URL path is not valid (bad percent-encoding)');
      (reply as FastifyReply).code(tooLong ? 414 : 400).send({ error: wire.toWire(), sys: [0] });
    },
  });
  app.setErrorHandler(async (err: Error & { code?: string; statusCode?: number }, req, reply) => {
    const krpcRoute = req.method === 'POST' && req.url.startsWith(`${KAPI}/`);
    let status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    let wire: KrpcError;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      wire = new KrpcError('PAYLOAD_TOO_LARGE', 'request body is larger than this endpoint accepts');
      status = 413;
      await dropRestOfBody(req.raw);
    } else if (err.code === 'FST_ERR_CTP_INVALID_JSON' || err instanceof SyntaxError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      wire = new KrpcError('INVALID_PARAMS', 'request body is not valid JSON');
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      wire = new KrpcError('INVALID_PARAMS', 'request body must be application/json');
    } else if (err instanceof KrpcError) {
      wire = err;
      status = 400;
    } else if (status < 500) {
      wire = new KrpcError('INVALID_PARAMS', err.message);
    } else {
      opts.log.error('unhandled error', { url: req.url, err: err.message, stack: err.stack });
      wire = new KrpcError('INTERNAL', 'internal error; see the node log');
    }
    // kRPC clients treat non-2xx as transport failure, so bad kRPC input is still HTTP 200
    // (except an oversized body, which the client could not have meant as a call).
    if (krpcRoute && status !== 413) status = 200;
    reply.code(status).send({ error: wire.toWire(), sys: [0] });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: new KrpcError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`).toWire(), sys: [0] });
  });
  return app;
}

const DROP_BODY_MS = 5000;

/**
 * Reads and drops what is left of a refused body (for a few seconds at most) before answering: a
 * caller (or the gateway) still sending it would otherwise meet a reset connection, not our 413.
 */
export function dropRestOfBody(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); resolve(); };
    const timer = setTimeout(done, DROP_BODY_MS);
    req.once('end', done).once('close', done).once('error', done);
    req.resume();
  });
}

function parseEnvelope(body: unknown): { method: string; params: unknown; seq: number; token?: string; traceId?: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new KrpcError('INVALID_PARAMS', 'request must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.method !== 'string' || b.method.length === 0 || b.method.length > 128)
    throw new KrpcError('INVALID_PARAMS', '"method" must be a non-empty string');
  const sys = b.sys ?? [0];
  if (!Array.isArray(sys)) throw new KrpcError('INVALID_PARAMS', '"sys" must be an array [seq, token?, trace_id?]');
  const seq = typeof sys[0] === 'number' && Number.isFinite(sys[0]) ? sys[0] : 0;
  const token = typeof sys[1] === 'string' && sys[1].length > 0 ? sys[1] : undefined;
  const traceId = typeof sys[2] === 'string' ? sys[2] : undefined;
  const params = b.params === undefined || b.params === null ? {} : b.params;
  return { method: b.method, params, seq, token, traceId };
}

function seqOf(body: unknown): number {
  const sys = (body as { sys?: unknown } | null)?.sys;
  return Array.isArray(sys) && typeof sys[0] === 'number' ? sys[0] : 0;
}

export function registerKrpc(app: FastifyInstance, path: string, methods: KrpcMethods, opts: KrpcRouteOptions): void {
  const validators = new Map<string, ValidateFunction>();
  for (const [name, m] of Object.entries(methods)) if (m.params) validators.set(name, ajv.compile(m.params));

  app.post(path, async (req: FastifyRequest, reply: FastifyReply) => {
    const seq = seqOf(req.body);
    try {
      const env = parseEnvelope(req.body);
      const method = Object.hasOwn(methods, env.method) ? methods[env.method] : undefined;
      if (!method) throw new KrpcError('UNKNOWN_METHOD', `unknown method ${JSON.stringify(env.method)}`);
      const ctx: KrpcContext = { seq: env.seq, token: env.token, traceId: env.traceId, ip: req.ip, request: req };
      const validate = validators.get(env.method);
      if (validate && !validate(env.params)) {
        const e = validate.errors?.[0];
        const where = e?.instancePath ? `params${e.instancePath.replace(/\//g, '.')}` : 'params';
        throw new KrpcError('INVALID_PARAMS', `${where} ${e?.message ?? 'is invalid'}`);
      }
      if (opts.before) await opts.before(env.method, ctx);
      const result = await method.handler(env.params, ctx);
      return reply.send({ result: result === undefined ? null : result, sys: env.traceId ? [seq, env.traceId] : [seq] });
    } catch (e) {
      let wire: KrpcError;
      if (e instanceof KrpcError) wire = e;
      else {
        opts.log.error('kRPC handler failed', { path, err: (e as Error)?.message, stack: (e as Error)?.stack });
        wire = new KrpcError('INTERNAL', 'internal error; see the node log');
      }
      return reply.send({ error: wire.toWire(), sys: [seq] });
    }
  });
}
