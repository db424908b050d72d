// The hosted site on disk: safe path mapping (never outside the site folder), listing and uploads.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';

const MAX_UPLOAD = 20 * 1024 * 1024;

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

/** A site path from the URL: plain names joined by "/", never leaving the site folder. */
export function sitePath(encoded) {
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

export function openSite(root) {
  /** The file for a site path (a folder means its index.html), resolving symlinks, or undefined. */
  async function file(rel) {
    let target = join(root, ...rel.split('/'));
    let st = await stat(target).catch(() => undefined);
    if (st?.isDirectory()) {
      target = join(target, 'index.html');
      st = await stat(target).catch(() => undefined);
    }
    if (!st?.isFile()) return undefined;
    const real = await realpath(target);
    return real.startsWith((await realpath(root)) + sep) ? { file: real, size: st.size } : undefined;
  }

  async function list(dir = root, prefix = '') {
    const out = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) out.push(...(await list(join(dir, entry.name), rel)));
      else if (entry.isFile()) out.push({ path: rel, size: (await stat(join(dir, entry.name))).size });
    }
    return out.sort((a, b) => a.path.localeCompare(b.path));
  }

  async function upload(req, rel) {
    if (Number(req.headers['content-length'] ?? 0) > MAX_UPLOAD) throw new HttpError(413, `files larger than ${MAX_UPLOAD} bytes are not accepted`);
    const target = join(root, ...rel.split('/'));
    await mkdir(dirname(target), { recursive: true }).catch(() => {
      throw new HttpError(409, `${rel} cannot be created: a file is in the way of its folder`);
    });
    if ((await stat(target).catch(() => undefined))?.isDirectory()) throw new HttpError(409, `${rel} is a folder`);
    const tmp = join(root, `.upload-${randomBytes(6).toString('hex')}`);
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

  return { root, file, list, upload };
}
