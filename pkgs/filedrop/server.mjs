// filedrop: upload, list, download and delete files kept in the app's data folder.
// BuckyOS app contract: bind BUCKYOS_BIND from the port hint BUCKYOS_SERVICE_PORT upward, write the real
// port to BUCKYOS_PORT_FILE once listening, keep data in BUCKYOS_DATA_DIR, exit cleanly on SIGTERM.
import { createServer } from 'node:http';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { health } from './health.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const VERSION = JSON.parse(readFileSync(join(here, 'pkg.json'), 'utf8')).version;
const BIND = process.env.BUCKYOS_BIND || '127.0.0.1';
const HINT = Number(process.env.BUCKYOS_SERVICE_PORT || 10000);
const DATA = resolve(process.env.BUCKYOS_DATA_DIR || 'data');
const FILES = join(DATA, 'files');
const MAX_UPLOAD = 100 * 1024 * 1024;
const STATIC = { '/': 'index.html', '/index.html': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}

/** A file name from the URL: one plain name, never a path. */
function fileName(encoded) {
  let name;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, 'file name is not valid URL encoding');
  }
  if (!name || name.length > 200 || name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f]/.test(name) || name.startsWith('.')) {
    throw new HttpError(400, 'file name must be 1-200 characters, not start with "." and contain no "/", "\\" or control characters');
  }
  return name;
}

async function listFiles() {
  const out = [];
  for (const name of await readdir(FILES)) {
    if (name.startsWith('.')) continue;
    const st = await stat(join(FILES, name));
    if (st.isFile()) out.push({ name, size: st.size, modified: st.mtime.toISOString() });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

async function upload(req, name) {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_UPLOAD) throw new HttpError(413, `files larger than ${MAX_UPLOAD} bytes are not accepted`);
  const tmp = join(FILES, `.upload-${randomBytes(6).toString('hex')}`);
  let size = 0;
  req.on('data', (d) => {
    size += d.length;
    if (size > MAX_UPLOAD) req.destroy(new HttpError(413, `files larger than ${MAX_UPLOAD} bytes are not accepted`));
  });
  try {
    await pipeline(req, createWriteStream(tmp, { flags: 'wx' }));
    await rename(tmp, join(FILES, name));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e instanceof HttpError ? e : new HttpError(400, 'upload was interrupted');
  }
  return { name, size };
}

async function handle(req, res) {
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
  if (path === '/api/files' && req.method === 'GET') return send(res, 200, { version: VERSION, files: await listFiles() });
  const m = /^\/(api\/files|files)\/([^/]+)$/.exec(path);
  if (m) {
    const name = fileName(m[2]);
    const target = join(FILES, name);
    if (m[1] === 'api/files' && req.method === 'PUT') return send(res, 201, await upload(req, name));
    if (m[1] === 'api/files' && req.method === 'DELETE') {
      await rm(target).catch(() => { throw new HttpError(404, `no file named ${name}`); });
      return send(res, 200, { deleted: name });
    }
    if (m[1] === 'files' && req.method === 'GET') {
      const st = await stat(target).catch(() => undefined);
      if (!st?.isFile()) throw new HttpError(404, `no file named ${name}`);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': st.size,
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
        'x-content-type-options': 'nosniff',
      });
      return createReadStream(target).pipe(res);
    }
  }
  throw new HttpError(404, `nothing at ${req.method} ${path}`);
}

function serve(req, res) {
  handle(req, res).catch((e) => {
    if (res.headersSent) return res.destroy();
    if (e instanceof HttpError) return send(res, e.status, { error: e.message });
    console.error('filedrop: request failed', e);
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

await mkdir(FILES, { recursive: true });
const server = await listen(BIND, HINT);
const port = server.address().port;
await writePortFile(port);
console.log(`filedrop ${VERSION} listening on http://${BIND}:${port}/ (data in ${DATA})`);

const shutdown = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
