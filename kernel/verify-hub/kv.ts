// What verify-hub needs from system-config, and the keys it reads and writes. SystemConfigClient
// satisfies VerifyHubKv structurally; verify-hub never touches the store directly.
import type { KvPort, KvTxAction, KvValue } from '../api/zone.js';
export type { KvValue };

export type { KvTxAction };

/** What verify-hub needs from system-config; SystemConfigClient is one. */
export type VerifyHubKv = Pick<KvPort, 'get' | 'list' | 'execTx'>;

export {
  VERIFY_HUB_KEY, BOOT_CONFIG_KEY, SESSIONS_PREFIX, REVOKED_SESSIONS_PREFIX, revokedSessionKey, REPLAY_PREFIX, LOCKOUT_PREFIX, lockoutUserKey, lockoutClientKey, passwordKey, userSettingsKey, userDocKey, deviceDocKey, sessionKey,
} from '../api/keys.js';
