// The admin API under /_admin/api/files: list the site, upload files into it and delete them.
import { rm } from 'node:fs/promises';
import { sep } from 'node:path';
import { HttpError, send, sitePath } from './site.mjs';

const PREFIX = '/_admin/api/files';

/** Answers the request if it is an admin API call; returns false otherwise. */
export async function adminApi(site, req, res, path, version) {
  if (path === PREFIX) {
    if (req.method !== 'GET') throw new HttpError(405, `${req.method} is not allowed on ${PREFIX}`);
    send(res, 200, { version, files: await site.list() });
    return true;
  }
  if (!path.startsWith(`${PREFIX}/`)) return false;
  const rel = sitePath(path.slice(PREFIX.length + 1));
  if (req.method === 'PUT') send(res, 201, await site.upload(req, rel));
  else if (req.method === 'DELETE') {
    const found = await site.file(rel);
    // site.file maps a folder to its index.html; delete only the file that was named.
    if (!found || !found.file.endsWith(`${sep}${rel.split('/').join(sep)}`)) throw new HttpError(404, `the site has no file ${rel}`);
    await rm(found.file);
    send(res, 200, { deleted: rel });
  } else throw new HttpError(405, `${req.method} is not allowed on a site file`);
  return true;
}
