// Typed kRPC client used by every service, the CLI and tests. Errors come back as KrpcError with the
// code parsed from the wire string.
import { KrpcError } from '../errors.js';

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
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method, params, sys: token ? [seq, token] : [seq] }),
        signal: this.signalFor(callOpts),
      });
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError') throw new KrpcError('TIMEOUT', `${this.url} did not answer ${method} in time`);
      if (err.name === 'AbortError') throw new KrpcError('UNAVAILABLE', `${method} to ${this.url} was cancelled`);
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new KrpcError('UNAVAILABLE', `cannot reach ${this.url}${cause ? ` (${cause})` : ''}`);
    }
    const text = await res.text();
    let body: { result?: R; error?: string; sys?: unknown[] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new KrpcError('UNAVAILABLE', `${this.url} answered HTTP ${res.status} with a non-kRPC body`);
    }
    if (typeof body.error === 'string') throw KrpcError.fromWire(body.error);
    if (!res.ok) throw new KrpcError('UNAVAILABLE', `${this.url} answered HTTP ${res.status}`);
    if (!Array.isArray(body.sys) || body.sys[0] !== seq) throw new KrpcError('INTERNAL', 'kRPC response seq does not match the request');
    if (!('result' in body)) throw new KrpcError('INTERNAL', 'kRPC response has neither result nor error');
    return body.result as R;
  }

  private signalFor(callOpts: KrpcCallOptions): AbortSignal {
    const timeout = AbortSignal.timeout(callOpts.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
    return callOpts.signal ? AbortSignal.any([timeout, callOpts.signal]) : timeout;
  }
}
