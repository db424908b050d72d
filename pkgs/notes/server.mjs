// notes: create, edit, list and delete plain notes stored in the app's data folder.
// BuckyOS app contract: bind BUCKYOS_BIND from the port hint BUCKYOS_SERVICE_PORT upward, write the real
// port to BUCKYOS_PORT_FILE once listening, keep data in BUCKYOS_DATA_DIR, exit cleanly on SIGTERM.
import { createServer } from 'node:http';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNoteStore } from './store.mjs';
import { health, selfCheck } from './health.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = JSON.parse(readFileSync(join(here, 'pkg.json'), 'utf8')).version;
const BIND = process.env.BUCKYOS_BIND || '127.0.0.1';
const HINT = Number(process.env.BUCKYOS_SERVICE_PORT || 10000);
const DATA = resolve(process.env.BUCKYOS_DATA_DIR || 'data');
const MAX_BODY = 64 * 1024;
const STATIC = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readNote(req) {
  let size = 0;
  const parts = [];
  for await (const d of req) {
    size += d.length;
    if (size > MAX_BODY) throw new HttpError(413, `a note may be at most ${MAX_BODY} bytes`);
    parts.push(d);
  }
  let note;
  try {
    note = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body must be JSON {title, body}');
  }
  const { title, body } = note ?? {};
  if (typeof title !== 'string' || title.trim() === '' || title.length > 200) throw new HttpError(400, 'title must be 1-200 characters');
  if (typeof body !== 'string') throw new HttpError(400, 'body must be a string');
  return { title: title.trim(), body };
}

async function handle(store, req, res) {
  const url = new URL(req.url, 'http://app');
  const path = url.pathname;
  if (path === '/health') {
    const h = health(VERSION);
    return send(res, h.status, h.body);
  }
  if (req.method === 'GET' && STATIC[path]) {
    const file = STATIC[path];
    res.writeHead(200, { 'content-type': TYPES[extname(file)], 'cache-control': 'no-cache' });
    return createReadStream(join(here, 'public', file)).pipe(res);
  }
  if (path === '/api/notes') {
    if (req.method === 'GET') return send(res, 200, { version: VERSION, notes: store.list() });
    if (req.method === 'POST') return send(res, 201, await store.create(await readNote(req)));
  }
  const m = /^\/api\/notes\/([0-9a-f-]{36})$/.exec(path);
  if (m) {
    if (req.method === 'GET') {
      const note = store.get(m[1]);
      return note ? send(res, 200, note) : send(res, 404, { error: 'no such note' });
    }
    if (req.method === 'PUT') {
      const note = await store.update(m[1], await readNote(req));
      return note ? send(res, 200, note) : send(res, 404, { error: 'no such note' });
    }
    if (req.method === 'DELETE') return (await store.remove(m[1])) ? send(res, 200, { deleted: m[1] }) : send(res, 404, { error: 'no such note' });
  }
  throw new HttpError(404, `nothing at ${req.method} ${path}`);
}

/** Binds the first free port from `hint` upward (up to 100 tries). */
async function listen(host, hint, serve) {
  for (let port = hint; port < hint + 100 && port <= 65535; port++) {
    const server = createServer(serve);
    try {
      await new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(port, host, ok);
      });
      return server;
    } catch (e) {
      if (e.code !== 'EADDRINUSE' && e.code !== 'EACCES') throw e;
    }
  }
  throw new Error(`no free port on ${host} from ${hint} to ${hint + 99}`);
}

async function writePortFile(port) {
  const file = process.env.BUCKYOS_PORT_FILE;
  if (!file) return;
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${port}\n`);
  await rename(tmp, file);
}

await mkdir(DATA, { recursive: true });
try {
  await selfCheck(DATA);
} catch (e) {
  console.error(`notes ${VERSION}: start-up self check failed: ${e.message}`);
  process.exit(1);
}
const store = openNoteStore(DATA);
await store.load();
const server = await listen(BIND, HINT, (req, res) => {
  handle(store, req, res).catch((e) => {
    if (res.headersSent) return res.destroy();
    if (e instanceof HttpError) return send(res, e.status, { error: e.message });
    console.error('notes: request failed', e);
    send(res, 500, { error: 'internal error' });
  });
});
const port = server.address().port;
await writePortFile(port);
console.log(`notes ${VERSION} listening on http://${BIND}:${port}/ (data in ${DATA})`);

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
