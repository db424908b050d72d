// Typed kRPC client used by every service, the CLI and tests. Errors come back as KrpcError with the
// code parsed from the wire string. Calls go through node:http(s) with one keep-alive agent per
// process: services call each other on every KV write and watch wake-up, and fetch() costs more than
// twice the CPU per call.
import http from 'node:http';
import https from 'node:https';
import { KrpcError } from '../errors.js';
import type { MethodMap, MethodName } from '../../api/krpc.js';

export type TokenSource = string | undefined | (() => string | undefined | Promise<string | undefined>);

export interface KrpcClientOptions {
  token?: TokenSource;
  timeoutMs?: number;
}

/** Per-call overrides, e.g. for long-polls: a longer timeout and a signal to cancel the call. */
export interface KrpcCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });

/** POSTs `body` and reads the whole answer; rejects with the transport's error. */
function post(url: string, body: string, signal: AbortSignal): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent: secure ? httpsAgent : httpAgent,
      signal,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

export class KrpcClient {
  private seq = 0;
  constructor(readonly url: string, private readonly opts: KrpcClientOptions = {}) {}

  withToken(token: TokenSource): KrpcClient {
    return new KrpcClient(this.url, { ...this.opts, token });
  }

  async call<R = unknown>(method: string, params: unknown = {}, callOpts: KrpcCallOptions = {}): Promise<R> {
    const seq = ++this.seq;
    const t = this.opts.token;
    const token = typeof t === 'function' ? await t() : t;
    const timeout = AbortSignal.timeout(callOpts.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
    let res: { status: number; text: string };
    try {
      res = await post(this.url, JSON.stringify({ method, params, sys: token ? [seq, token] : [seq] }),
        callOpts.signal ? AbortSignal.any([timeout, callOpts.signal]) : timeout);
    } catch (e) {
      if (timeout.aborted) throw new KrpcError('TIMEOUT', `${this.url} did not answer ${method} in time`);
      if (callOpts.signal?.aborted) throw new KrpcError('UNAVAILABLE', `${method} to ${this.url} was cancelled`);
      const code = (e as { code?: unknown }).code;
      const cause = typeof code === 'string' && !code.startsWith('ERR_') ? code : undefined;
      throw new KrpcError('UNAVAILABLE', `cannot reach ${this.url}${cause ? ` (${cause})` : ''}`);
    }
    let body: { result?: R; error?: string; sys?: unknown[] };
    try {
      body = JSON.parse(res.text);
    } catch {
      throw new KrpcError('UNAVAILABLE', `${this.url} answered HTTP ${res.status} with a non-kRPC body`);
    }
    const ok = res.status >= 200 && res.status < 300;
    if (typeof body.error === 'string') throw KrpcError.fromWire(body.error);
    if (!ok) throw new KrpcError('UNAVAILABLE', `${this.url} answered HTTP ${res.status}`);
    if (!Array.isArray(body.sys) || body.sys[0] !== seq) throw new KrpcError('INTERNAL', 'kRPC response seq does not match the request');
    if (!('result' in body)) throw new KrpcError('INTERNAL', 'kRPC response has neither result nor error');
    return body.result as R;
  }
}

/**
 * A client of one kRPC service, typed by its method map in kernel/api: `new ServiceClient<SchedulerMethods>(url)`
 * accepts only that service's method names with their params and returns their results. Kernel code
 * calls services only through these; the raw KrpcClient is for the wire itself (and for tests that
 * send what no typed caller could).
 */
export class ServiceClient<M extends MethodMap<M>> {
  private readonly raw: KrpcClient;
  constructor(readonly url: string, private readonly opts: KrpcClientOptions = {}) {
    this.raw = new KrpcClient(url, opts);
  }

  withToken(token: TokenSource): ServiceClient<M> {
    return new ServiceClient<M>(this.url, { ...this.opts, token });
  }

  call<K extends MethodName<M>>(method: K, params: M[K]['params'], opts?: KrpcCallOptions): Promise<M[K]['result']> {
    return this.raw.call<M[K]['result']>(method, params, opts);
  }
}
