// Reading a fetch() response body so that a download can always be stopped. Under load on Node 20 a
// chunk download was seen waiting forever for the end of a body whose every announced byte had arrived,
// and aborting the fetch's signal did not end that wait (the task that owned it never settled). So the
// body is read up to its content-length and no further, and every read also gives up when the caller's
// own signal aborts or no byte comes for `idleMs`, whatever happened to the signal given to fetch().
import { KrpcError } from './errors.js';

/** `work`, or a rejection as soon as `signal` aborts or `idleMs` pass (the work itself is not stopped). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, idleMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const onAbort = () => finish(() => reject(new KrpcError('UNAVAILABLE', `${what} was cancelled`)));
    const timer = setTimeout(() => finish(() => reject(new KrpcError('TIMEOUT', `${what} stalled: nothing arrived for ${Math.round(idleMs / 1000)} s`))), idleMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    work.then((v) => finish(() => resolve(v)), (e: unknown) => finish(() => reject(e)));
  });
}

/** Once every announced byte is in, how long the end of the body may take before the stream is cancelled. */
const END_GRACE_MS = 1000;

/**
 * The pieces of `res`'s body, up to its content-length when it announces one. Ending the iteration early
 * (break, throw, abort, stall) cancels the body, which releases the connection.
 */
export async function* bodyPieces(res: Response, opts: { signal?: AbortSignal; idleMs: number; what: string }): AsyncGenerator<Buffer> {
  if (!res.body) return;
  const announced = Number(res.headers.get('content-length') ?? Number.NaN);
  const reader = res.body.getReader();
  let received = 0;
  let ended = false;
  try {
    while (!(received >= announced)) {
      const step = await raceAbort(reader.read(), opts.signal, opts.idleMs, opts.what);
      if (step.done) {
        ended = true;
        return;
      }
      received += step.value.byteLength;
      yield Buffer.from(step.value.buffer, step.value.byteOffset, step.value.byteLength);
    }
    // Everything announced is here: the end normally follows at once; if it does not, stop waiting for it.
    ended = (await raceAbort(reader.read(), opts.signal, END_GRACE_MS, opts.what).catch(() => ({ done: false }))).done;
  } finally {
    if (!ended) reader.cancel().catch(() => {});
  }
}
