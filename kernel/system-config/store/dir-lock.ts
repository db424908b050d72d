// One writer per KV folder: a LOCK file holding the owner's pid. Two processes appending to the same
// log would interleave records and corrupt it. A lock left by a crashed process (pid no longer
// running) is taken over.
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KrpcError } from '../../lib/errors.js';
import { isProcessAlive } from '../../lib/process-alive.js';

export const LOCK_FILE = 'LOCK';

export async function lockDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try { await fh.writeFile(`${process.pid}\n`); } finally { await fh.close(); }
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (owner === process.pid)
      throw new KrpcError('FAILED_PRECONDITION', `the KV store in ${dir} is already open in this process; close it before opening it again`);
    if (Number.isSafeInteger(owner) && owner > 0 && isProcessAlive(owner))
      throw new KrpcError('FAILED_PRECONDITION', `the KV store in ${dir} is in use by process ${owner}; stop that process first (or delete ${path} if it is not a BuckyOS node)`);
    await rm(path, { force: true });
  }
  throw new KrpcError('FAILED_PRECONDITION', `could not lock the KV store in ${dir}: another process keeps taking ${path}`);
}
