// Serves the built control panel (dist/renderer) from the gateway (/ of :3180) and from an
// unactivated device's activation server (:3182). Hashed assets are cached for a year, index.html is
// always revalidated (so an update shows at the next load), a path without a file extension falls back
// to index.html (the panel's own routes), and a missing file with an extension is a plain 404 — never
// the page in place of a script. Callers route /kapi and /apps before this, so it cannot shadow them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

export const PANEL_MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp',
  '.json': 'application/json', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json',
};

/** The panel talks to its own origin and (in the wizard) to the new zone's gateway on another port. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' http: https:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/** The API and the apps own these paths: the panel (and its fallback) never answers under them. */
const NOT_THE_PANEL = /^\/+(kapi|apps)(\/|$)/i;

/**
 * Resolves `urlPath` inside `dir`, or undefined for a path that is not the panel's: one under /kapi or
 * /apps (raw or decoded), a "." or ".." segment, a NUL or a backslash, or bad percent-encoding.
 */
function fileFor(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (NOT_THE_PANEL.test(urlPath) || NOT_THE_PANEL.test(decoded)) return undefined;
  if (/[\0\\]/.test(decoded) || decoded.split('/').some((seg) => seg === '..' || seg === '.')) return undefined;
  const rel = normalize(decoded).replace(/^([/\\])+/, '');
  const file = join(dir, rel || 'index.html');
  return file === dir || file.startsWith(dir + sep) ? file : undefined;
}

async function isFile(path: string): Promise<number | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answers a GET/HEAD for the panel; resolves false when there is nothing to serve (the caller sends
 * its own 404). `dir` must be an absolute, normalized folder path.
 */
export async function servePanel(dir: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const urlPath = (req.url ?? '/').split('?')[0];
  let file = fileFor(dir, urlPath);
  if (!file) return false;
  let size = await isFile(file);
  if (size === undefined) {
    if (extname(file) !== '') return false;
    file = join(dir, 'index.html');
    size = await isFile(file);
    if (size === undefined) return false;
  }
  const hashed = /[/\\]assets[/\\]/.test(file.slice(dir.length));
  res.writeHead(200, {
    'content-type': PANEL_MIME[extname(file)] ?? 'application/octet-stream',
    'content-length': size,
    'cache-control': hashed ? IMMUTABLE : REVALIDATE,
    ...SECURITY_HEADERS,
  });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
  return true;
}
