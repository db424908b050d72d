// Deliberately broken release (used by upgrade/rollback tests): its self check looks for a data format
// that no release ever wrote, so the process exits at start-up.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function selfCheck(dataDir) {
  await readFile(join(dataDir, 'notes.v2.db'));
}

export function health(version) {
  return { status: 200, body: { ok: true, app: 'notes', version } };
}
