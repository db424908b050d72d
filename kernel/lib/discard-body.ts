import type { IncomingMessage } from 'node:http';

/** How long the rest of a request body is read and dropped after an early answer. */
const DISCARD_MS = 5000;

/**
 * After an early answer (a refusal, a full disk) the client is still sending. Closing the connection at
 * once would make its writes fail, and the kernel would drop our answer with the reset before the client
 * read it; so the rest of the body is read and dropped for a short while, enough for the client to see
 * the answer and stop, and then the connection is closed.
 */
export function discardBody(req: IncomingMessage): void {
  if (req.readableEnded || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), DISCARD_MS);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.on('data', () => {});
  req.resume();
}
