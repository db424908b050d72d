// The identity files an activated node keeps in <data>/etc (spec 40 §6.5, our layout in lib/paths.ts).
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KrpcError } from '../errors.js';
import { fsyncDir } from '../fs-atomic.js';
import type { ActivationState } from '../device-info.js';
import type { DataPaths } from '../paths.js';
import type { NodeIdentityFile } from '../../api/identity.js';
export type { NodeIdentityFile };

/** etc/start_config.json — written at activation, read by the first-boot builder. Never holds a private key. */
export interface StartConfigFile {
  user_name: string;
  owner_document: Record<string, unknown>;
  zone_name: string;
  access_hostname?: string;
  zone_document_jwt: string;
  boot_config_jwt: string;
  device_doc_jwt: string;
  device_mini_doc_jwt: string;
  ood_jwt: string;
  /**
   * base64(sha256(password + username + ".buckyos")) — a verifier, never the password. Only needed
   * until first boot has stored it in KV; then the OOD removes it from the file.
   */
  admin_password_hash?: string;
  guest_access?: boolean;
  enabled_features?: string[];
}

export async function readJsonFile<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/**
 * True when this device holds a readable identity, false when it holds none. An identity file that
 * exists but cannot be read is an error, not "never activated": treating it as absent would have the
 * owner activate again and the device leave the zone it belongs to.
 */
export async function isActivated(paths: DataPaths): Promise<boolean> {
  const state = await readActivationState(paths);
  if (state === 'error') {
    throw new KrpcError('FAILED_PRECONDITION', `${paths.nodeIdentity} exists but is not a readable node identity; restore it from a backup, or reset this device to set it up again`);
  }
  return state === 'actived';
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
