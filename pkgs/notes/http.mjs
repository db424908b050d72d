// Small HTTP helpers shared by the server and the API routes.
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The request body parsed as JSON, refusing bodies over `maxBytes`. */
export async function readJson(req, maxBytes) {
  let size = 0;
  const parts = [];
  for await (const d of req) {
    size += d.length;
    if (size > maxBytes) throw new HttpError(413, `the request body may be at most ${maxBytes} bytes`);
    parts.push(d);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the request body must be JSON');
  }
}
