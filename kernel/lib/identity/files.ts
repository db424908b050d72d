// The identity files an activated node keeps in <data>/etc (spec 40 §6.5, our layout in lib/paths.ts).
import { readFile } from 'node:fs/promises';
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
  /** base64(sha256(password + username + ".buckyos")) — a verifier, never the password. */
  admin_password_hash: string;
  guest_access?: boolean;
  enabled_features?: string[];
}

export async function readJsonFile<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export async function isActivated(paths: DataPaths): Promise<boolean> {
  try {
    const id = await readJsonFile<NodeIdentityFile>(paths.nodeIdentity);
    return id.schema === 'buckyos.node_identity.v2' && typeof id.device_name === 'string';
  } catch {
    return false;
  }
}
