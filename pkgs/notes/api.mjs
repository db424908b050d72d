// The notes API under /api/notes: list, create, read, update, delete.
import { HttpError, readJson, send } from './http.mjs';

const MAX_NOTE = 64 * 1024;

async function readNote(req) {
  const { title, body } = (await readJson(req, MAX_NOTE)) ?? {};
  if (typeof title !== 'string' || title.trim() === '' || title.length > 200) throw new HttpError(400, 'title must be 1-200 characters');
  if (typeof body !== 'string') throw new HttpError(400, 'body must be a string');
  return { title: title.trim(), body };
}

/** Answers the request if it is an API call; returns false otherwise. */
export async function notesApi(store, req, res, url, version) {
  const path = url.pathname;
  if (path === '/api/notes') {
    if (req.method === 'GET') send(res, 200, { version, notes: store.list() });
    else if (req.method === 'POST') send(res, 201, await store.create(await readNote(req)));
    else throw new HttpError(405, `${req.method} is not allowed on /api/notes`);
    return true;
  }
  const m = /^\/api\/notes\/([0-9a-f-]{36})$/.exec(path);
  if (!m) return false;
  let result;
  if (req.method === 'GET') result = store.get(m[1]);
  else if (req.method === 'PUT') result = await store.update(m[1], await readNote(req));
  else if (req.method === 'DELETE') result = (await store.remove(m[1])) ? { deleted: m[1] } : undefined;
  else throw new HttpError(405, `${req.method} is not allowed on a note`);
  if (!result) throw new HttpError(404, 'no such note');
  send(res, 200, result);
  return true;
}
