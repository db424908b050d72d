// Notes live in one JSON file in the data folder. Every change is written to a temp file, fsynced and
// renamed over the old one, so a crash leaves either the old or the new notes, never half a file.
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export function openNoteStore(dataDir) {
  const file = join(dataDir, 'notes.json');
  let notes = [];
  let writing = Promise.resolve();

  async function load() {
    try {
      notes = JSON.parse(await readFile(file, 'utf8')).notes;
    } catch (e) {
      if (e.code !== 'ENOENT') throw new Error(`${file} is damaged (${e.message}); restore it from a backup or move it away`);
      notes = [];
    }
  }

  async function persist() {
    const tmp = `${file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify({ notes }, null, 1));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }

  /** Applies `change` and persists it; changes run one after another, and a failed write is undone. */
  function commit(change) {
    const run = writing.then(async () => {
      const result = change();
      try {
        await persist();
      } catch (e) {
        await load();
        throw e;
      }
      return result;
    });
    writing = run.catch(() => {});
    return run;
  }

  return {
    load,
    list: () => [...notes].sort((a, b) => b.updated.localeCompare(a.updated)),
    get: (id) => notes.find((n) => n.id === id),
    create: ({ title, body }) =>
      commit(() => {
        const now = new Date().toISOString();
        const note = { id: randomUUID(), title, body, created: now, updated: now };
        notes.push(note);
        return note;
      }),
    update: (id, { title, body }) =>
      commit(() => {
        const note = notes.find((n) => n.id === id);
        if (!note) return undefined;
        Object.assign(note, { title, body, updated: new Date().toISOString() });
        return note;
      }),
    remove: (id) =>
      commit(() => {
        const before = notes.length;
        notes = notes.filter((n) => n.id !== id);
        return notes.length < before;
      }),
  };
}
