// sitehost: serves a static web site from the app's data folder; the admin page at /_admin/ uploads files.
// BuckyOS app contract: bind BUCKYOS_BIND from the port hint BUCKYOS_SERVICE_PORT upward, write the real
// port to BUCKYOS_PORT_FILE once listening, keep data in BUCKYOS_DATA_DIR, exit cleanly on SIGTERM.
import { createServer } from 'node:http';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HttpError, openSite, send, sitePath } from './site.mjs';
import { adminApi } from './admin-api.mjs';
import { health } from './health.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = JSON.parse(readFileSync(join(here, 'pkg.json'), 'utf8')).version;
const BIND = process.env.BUCKYOS_BIND || '127.0.0.1';
const HINT = Number(process.env.BUCKYOS_SERVICE_PORT || 10000);
const DATA = resolve(process.env.BUCKYOS_DATA_DIR || 'data');
const SITE = join(DATA, 'site');
const ADMIN = { '/_admin/': 'index.html', '/_admin/index.html': 'index.html', '/_admin/app.js': 'app.js' };
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
};

function sendFile(res, file, size, type) {
  res.writeHead(200, { 'content-type': type, 'content-length': size, 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
}

async function handle(req, res) {
  const path = new URL(req.url, 'http://app').pathname;
  if (path === '/health') {
    const h = health(VERSION);
    return send(res, h.status, h.body);
  }
  if (path === '/_admin') {
    res.writeHead(301, { location: '_admin/' });
    return res.end();
  }
  if (req.method === 'GET' && ADMIN[path]) {
    const file = join(here, 'admin', ADMIN[path]);
    return sendFile(res, file, (await stat(file)).size, TYPES[extname(file)]);
  }
  if (await adminApi(site, req, res, path, VERSION)) return;
  if (req.method === 'GET' || req.method === 'HEAD') {
    const rel = path === '/' ? 'index.html' : sitePath(path.slice(1).replace(/\/$/, ''));
    const found = await site.file(rel);
    if (found) return sendFile(res, found.file, found.size, TYPES[extname(found.file).toLowerCase()] ?? 'application/octet-stream');
    if (path === '/') {
      const welcome = join(here, 'welcome.html');
      return sendFile(res, welcome, (await stat(welcome)).size, TYPES['.html']);
    }
  }
  throw new HttpError(404, `nothing at ${req.method} ${path}`);
}

function serve(req, res) {
  handle(req, res).catch((e) => {
    if (res.headersSent) return res.destroy();
    if (e instanceof HttpError) return send(res, e.status, { error: e.message });
    console.error('sitehost: request failed', e);
    send(res, 500, { error: 'internal error' });
  });
}

/** Binds the first free port from `hint` upward (up to 100 tries). */
async function listen(host, hint) {
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

await mkdir(SITE, { recursive: true });
const site = openSite(SITE);
const server = await listen(BIND, HINT);
const port = server.address().port;
await writePortFile(port);
console.log(`sitehost ${VERSION} listening on http://${BIND}:${port}/ (site in ${SITE})`);

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
