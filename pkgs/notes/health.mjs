// Start-up self check (the data folder must be writable) and the GET /health answer.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function selfCheck(dataDir) {
  const probe = join(dataDir, `.probe-${process.pid}`);
  await writeFile(probe, 'ok');
  await rm(probe);
}

export function health(version) {
  return { status: 200, body: { ok: true, app: 'notes', version } };
}
