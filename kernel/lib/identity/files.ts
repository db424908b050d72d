// The identity files an activated node keeps in <data>/etc (spec 40 §6.5, our layout in lib/paths.ts).
import { readFile } from 'node:fs/promises';
import type { Ed25519PublicJwk } from './keys.js';
import type { DataPaths } from '../paths.js';

/** etc/node_identity.json — the root of trust of this node: the owner public key it was activated with. */
export interface NodeIdentityFile {
  schema: 'buckyos.node_identity.v2';
  zone_did: string;
  owner_did: string;
  owner_public_key: Ed25519PublicJwk;
  device_name: string;
  device_did: string;
  /** iat of the ZoneBootConfig accepted at activation; older boot configs are refused. */
  zone_iat: number;
}

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
