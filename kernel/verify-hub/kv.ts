// What verify-hub needs from system-config, and the keys it reads and writes. SystemConfigClient
// satisfies VerifyHubKv structurally; verify-hub never touches the store directly.

export interface KvValue {
  value: string;
  version: number;
}

export type KvTxAction =
  | { action: 'create'; value: string }
  | { action: 'update'; value: string }
  | { action: 'remove' };

export interface KvMainKey {
  key: string;
  revision: number;
}

export interface VerifyHubKv {
  get(key: string): Promise<KvValue | null>;
  /** Direct child names below `key`. */
  list(key: string): Promise<string[]>;
  /** All-or-nothing; with mainKey it fails with VERSION_CONFLICT when that key's revision moved. */
  execTx(actions: Record<string, KvTxAction>, mainKey?: KvMainKey): Promise<unknown>;
}

export const VERIFY_HUB_KEY = 'security/verify-hub/key';
export { BOOT_CONFIG_KEY, REVOKED_SESSIONS_PREFIX, revokedSessionKey } from '../lib/zone-keys.js';
export const SESSIONS_PREFIX = 'security/verify-hub/sessions';
/** Single-use markers for login nonces and login JWT ids, named `<expires unix s>-<sha256 hex>`. */
export const REPLAY_PREFIX = 'security/verify-hub/replay';

export const passwordKey = (user: string) => `security/verify-hub/passwords/${user}`;
export const userSettingsKey = (user: string) => `users/${user}/settings`;
export const userDocKey = (user: string) => `users/${user}/doc`;
export const deviceDocKey = (device: string) => `devices/${device}/doc`;
export const sessionKey = (session: number) => `${SESSIONS_PREFIX}/${session}`;
