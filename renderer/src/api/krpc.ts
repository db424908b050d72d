// The panel's one way to the kernel: kRPC over HTTP, BuckyOS envelope
// POST /kapi/<service> {method, params, sys:[seq, token?]} → {result, sys} | {error: "<CODE>: msg", sys}.
import type { ErrorCodes } from '../../../kernel/api/errors';
import type { KernelErrorCode, MethodOf, ParamsFor, ResultFor, ServiceName } from './kernel-types';

/** Codes of our own for failures that never reached a kernel answer. */
export type ClientErrorCode = 'UNREACHABLE' | 'BAD_ANSWER';
export type PanelErrorCode = KernelErrorCode | ClientErrorCode;

/** kernel/api's list, spelled out here (the page imports kernel/api as types only); the type fails if they differ. */
const CODES = [
  'INVALID_PARAMS', 'UNAUTHENTICATED', 'TOKEN_EXPIRED', 'PERMISSION_DENIED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'VERSION_CONFLICT', 'NOT_ACTIVATED', 'ALREADY_ACTIVATED', 'UNKNOWN_METHOD', 'PAYLOAD_TOO_LARGE', 'RESOURCE_EXHAUSTED', 'RATE_LIMITED',
  'UNAVAILABLE', 'TIMEOUT', 'INTEGRITY', 'FAILED_PRECONDITION', 'INTERNAL',
] as const satisfies typeof ErrorCodes;
const sameCodes: typeof ErrorCodes extends typeof CODES ? true : false = true;
const KNOWN_CODES = new Set<string>(sameCodes ? CODES : []);

export class PanelError extends Error {
  constructor(readonly code: PanelErrorCode, readonly detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'PanelError';
  }
}

/** "<CODE>: message" → {code, detail}; anything else (an upstream BuckyOS display string) is INTERNAL. */
export function parseWireError(text: unknown): PanelError {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  const m = /^([A-Z_]+): ?([\s\S]*)$/.exec(s);
  if (m && KNOWN_CODES.has(m[1])) return new PanelError(m[1] as KernelErrorCode, m[2]);
  return new PanelError('INTERNAL', s);
}

/** Where the kernel is: the page's own origin, or what a host (Electron preload) tells us. */
export function kernelOrigin(): string {
  const injected = (globalThis as { buckyos?: { gatewayUrl?: string } }).buckyos?.gatewayUrl;
  return injected ?? globalThis.location?.origin ?? 'http://127.0.0.1:3180';
}

let seq = 0;

export interface CallOptions {
  token?: string;
  timeoutMs?: number;
  origin?: string;
  fetchImpl?: typeof fetch;
}

/** A call typed by kernel/api's method map of the service. */
export function krpcCall<S extends ServiceName, M extends MethodOf<S>>(service: S, method: M, params: ParamsFor<S, M>, opts: CallOptions = {}): Promise<ResultFor<S, M>> {
  return krpcRaw<ResultFor<S, M>>(service, method, params, opts);
}

/** Any service and method (probes, services kernel/api does not describe yet). */
export async function krpcRaw<R>(service: string, method: string, params: unknown, opts: CallOptions = {}): Promise<R> {
  const sys: unknown[] = [++seq];
  if (opts.token) sys.push(opts.token);
  const doFetch = opts.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await doFetch(`${opts.origin ?? kernelOrigin()}/kapi/${service}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method, params, sys }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (e) {
    const timedOut = (e as Error)?.name === 'TimeoutError';
    throw new PanelError(timedOut ? 'TIMEOUT' : 'UNREACHABLE', timedOut ? `${service}.${method} did not answer in time` : `cannot reach ${service}`);
  }
  let body: { result?: R; error?: unknown } | undefined;
  try {
    body = (await res.json()) as { result?: R; error?: unknown };
  } catch {
    // A gateway's 502/503 page for a service that is down is not JSON.
    if (res.status >= 500) throw new PanelError('UNAVAILABLE', `${service} answered HTTP ${res.status}`);
    throw new PanelError('BAD_ANSWER', `${service} answered HTTP ${res.status} without a kRPC body`);
  }
  if (body && body.error !== undefined) throw parseWireError(body.error);
  if (!res.ok) throw new PanelError(res.status >= 500 ? 'UNAVAILABLE' : 'BAD_ANSWER', `${service} answered HTTP ${res.status}`);
  return body?.result as R;
}
