// The admin API under /_admin/api/files: list the site and upload files into it.
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
  else throw new HttpError(405, `${req.method} is not allowed on a site file`);
  return true;
}
