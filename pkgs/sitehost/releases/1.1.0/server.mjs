// sitehost: serves a static web site from the app's data folder; the admin page at /_admin/ uploads and
// deletes files.
// BuckyOS app contract: bind BUCKYOS_BIND from the port hint BUCKYOS_SERVICE_PORT upward, write the real
// port to BUCKYOS_PORT_FILE once listening, keep data in BUCKYOS_DATA_DIR, exit cleanly on SIGTERM.
import { createServer } from 'node:http';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { health } from './health.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = JSON.parse(readFileSync(join(here, 'pkg.json'), 'utf8')).version;
const BIND = process.env.BUCKYOS_BIND || '127.0.0.1';
const HINT = Number(process.env.BUCKYOS_SERVICE_PORT || 10000);
const DATA = resolve(process.env.BUCKYOS_DATA_DIR || 'data');
const SITE = join(DATA, 'site');
const MAX_UPLOAD = 20 * 1024 * 1024;
const ADMIN = { '/_admin/': 'index.html', '/_admin/index.html': 'index.html', '/_admin/app.js': 'app.js' };
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.htm': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
};

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

/** A site path from the URL: plain names joined by "/", never leaving the site folder. */
function sitePath(encoded) {
  let path;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, 'path is not valid URL encoding');
  }
  const segments = path.split('/');
  if (path.length > 1024 || segments.some((s) => !s || s === '.' || s === '..' || s.startsWith('.') || /[\\\u0000-\u001f\u007f]/.test(s))) {
    throw new HttpError(400, 'path segments must be plain names: no "..", no leading ".", no "\\" or control characters');
  }
  return segments.join('/');
}

/** The file for a request path inside the site, resolving symlinks, or undefined. */
async function siteFile(rel) {
  let target = join(SITE, ...rel.split('/'));
  let st = await stat(target).catch(() => undefined);
  if (st?.isDirectory()) {
    target = join(target, 'index.html');
    st = await stat(target).catch(() => undefined);
  }
  if (!st?.isFile()) return undefined;
  const real = await realpath(target);
  const root = await realpath(SITE);
  return real.startsWith(root + sep) ? { file: real, size: st.size } : undefined;
}

async function listSite(dir = SITE, prefix = '') {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listSite(join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push({ path: rel, size: (await stat(join(dir, entry.name))).size });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

async function upload(req, rel) {
  if (Number(req.headers['content-length'] ?? 0) > MAX_UPLOAD) throw new HttpError(413, `files larger than ${MAX_UPLOAD} bytes are not accepted`);
  const target = join(SITE, ...rel.split('/'));
  await mkdir(dirname(target), { recursive: true });
  const tmp = join(SITE, `.upload-${randomBytes(6).toString('hex')}`);
  let size = 0;
  req.on('data', (d) => {
    size += d.length;
    if (size > MAX_UPLOAD) req.destroy(new HttpError(413, `files larger than ${MAX_UPLOAD} bytes are not accepted`));
  });
  try {
    await pipeline(req, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e instanceof HttpError ? e : new HttpError(400, 'upload was interrupted');
  }
  return { path: rel, size };
}

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
  if (path === '/_admin/api/files' && req.method === 'GET') return send(res, 200, { version: VERSION, files: await listSite() });
  if (path.startsWith('/_admin/api/files/')) {
    const rel = sitePath(path.slice('/_admin/api/files/'.length));
    if (req.method === 'PUT') return send(res, 201, await upload(req, rel));
    if (req.method === 'DELETE') {
      const found = await siteFile(rel);
      if (!found || !found.file.endsWith(`${sep}${rel.split('/').join(sep)}`)) throw new HttpError(404, `the site has no file ${rel}`);
      await rm(found.file);
      return send(res, 200, { deleted: rel });
    }
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    const rel = path === '/' ? 'index.html' : sitePath(path.slice(1).replace(/\/$/, ''));
    const found = await siteFile(rel);
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
