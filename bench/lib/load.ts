// One HTTP load generator for every target a bench compares (autocannon, keep-alive connections,
// one request in flight per connection), so ratios compare servers, not clients.
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Run for this many seconds, or until `amount` requests completed. */
  durationSec?: number;
  amount?: number;
  /** A fresh request body per request. */
  body: () => string;
  /** True when a response is a success (kRPC errors come back as HTTP 200). */
  ok: (status: number, body: string) => boolean;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p99ms: number;
  failures: number;
  firstFailure?: string;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let failures = 0;
  let firstFailure: string | undefined;
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : { duration: spec.durationSec }),
    timeout: 30,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: spec.body() }),
      onResponse: (status, body) => {
        if (spec.ok(status, body)) return;
        failures++;
        firstFailure ??= `HTTP ${status}: ${body.slice(0, 300)}`;
      },
    }],
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  failures += result.errors + result.timeouts;
  return {
    requests: result.requests.total,
    perSecond: result.requests.total / seconds,
    p99ms: result.latency.p99,
    failures,
    firstFailure,
  };
}
