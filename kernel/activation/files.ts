// Writing a node's identity at the end of activation (spec 40 §6.5, our layout in lib/paths.ts).
// Every file is written atomically; etc/node_identity.json goes last and is created exclusively, so it
// is the commit point: a crash before it leaves an unactivated device, and only one writer can win.
import { access, link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { fsyncDir, writeFileAtomic } from '../lib/fs-atomic.js';
import type { NodeIdentityFile, StartConfigFile } from '../lib/identity/files.js';
import type { DataPaths } from '../lib/paths.js';
import type { ActivationState } from './device-info.js';

export interface ActivationRecord {
  nodeIdentity: NodeIdentityFile;
  startConfig: StartConfigFile;
  deviceKeyPem: string;
  deviceDocJwt: string;
  deviceMiniDocJwt: string;
  zoneBootJwt: string;
  zoneDocJwt: string;
}

export const alreadyActivated = () =>
  new KrpcError('ALREADY_ACTIVATED', 'this device is already activated; to activate it again, reset it first (this wipes its identity)');

/** "actived" when node_identity.json is a v2 identity, "error" when it exists but is unreadable, else "inactive". */
export async function readActivationState(paths: DataPaths): Promise<ActivationState> {
  let text: string;
  try {
    text = await readFile(paths.nodeIdentity, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'inactive' : 'error';
  }
  try {
    const id = JSON.parse(text) as Partial<NodeIdentityFile>;
    return id.schema === 'buckyos.node_identity.v2' && typeof id.device_name === 'string' ? 'actived' : 'error';
  } catch {
    return 'error';
  }
}

export async function persistActivation(paths: DataPaths, record: ActivationRecord): Promise<void> {
  await mkdir(paths.etc, { recursive: true, mode: 0o700 });
  if (await exists(paths.nodeIdentity)) throw alreadyActivated();
  await writeFileAtomic(paths.deviceKey, record.deviceKeyPem, 0o600);
  await writeFileAtomic(paths.deviceDocJwt, record.deviceDocJwt);
  await writeFileAtomic(paths.deviceMiniDocJwt, record.deviceMiniDocJwt);
  await writeFileAtomic(paths.zoneBootJwt, record.zoneBootJwt);
  await writeFileAtomic(paths.zoneDocJwt, record.zoneDocJwt);
  await writeFileAtomic(paths.startConfig, JSON.stringify(record.startConfig, null, 2) + '\n', 0o600);
  await writeFileExclusive(paths.nodeIdentity, JSON.stringify(record.nodeIdentity, null, 2) + '\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Like writeFileAtomic, but link(2) instead of rename(2): fails with ALREADY_ACTIVATED if the target exists. */
export async function writeFileExclusive(path: string, data: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    await link(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyActivated();
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
  await fsyncDir(dir);
}
