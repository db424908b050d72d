// What verify-hub needs from system-config, and the keys it reads and writes. SystemConfigClient
// satisfies VerifyHubKv structurally; verify-hub never touches the store directly.
import type { KvValue } from '../api/zone.js';
export type { KvValue };

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

export {
  VERIFY_HUB_KEY, BOOT_CONFIG_KEY, SESSIONS_PREFIX, REVOKED_SESSIONS_PREFIX, revokedSessionKey, REPLAY_PREFIX, LOCKOUT_PREFIX, lockoutUserKey, lockoutClientKey, passwordKey, userSettingsKey, userDocKey, deviceDocKey, sessionKey,
} from '../api/keys.js';
