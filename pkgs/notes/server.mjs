// notes: create, edit, list and delete plain notes stored in the app's data folder.
// BuckyOS app contract: bind BUCKYOS_BIND from the port hint BUCKYOS_SERVICE_PORT upward, write the real
// port to BUCKYOS_PORT_FILE once listening, keep data in BUCKYOS_DATA_DIR, exit cleanly on SIGTERM.
import { createServer } from 'node:http';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openNoteStore } from './store.mjs';
import { notesApi } from './api.mjs';
import { HttpError, send } from './http.mjs';
import { health, selfCheck } from './health.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = JSON.parse(readFileSync(join(here, 'pkg.json'), 'utf8')).version;
const BIND = process.env.BUCKYOS_BIND || '127.0.0.1';
const HINT = Number(process.env.BUCKYOS_SERVICE_PORT || 10000);
const DATA = resolve(process.env.BUCKYOS_DATA_DIR || 'data');
const STATIC = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

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
  if (!(await notesApi(store, req, res, url, VERSION))) throw new HttpError(404, `nothing at ${req.method} ${path}`);
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
