// Transition shim: the zone's KV keys live in kernel/api/keys.ts. Removed once every caller imports kernel/api.
export {
  SCHEDULER_SNAPSHOT_KEY, SCHEDULER_HISTORY_PREFIX, RBAC_POLICY_KEY, BOOT_CONFIG_KEY, GATEWAY_SETTINGS_KEY,
  schedulerHistoryKey as historyKey, nodeConfigKey, nodeGatewayInfoKey, nodeGatewayConfigKey, serviceInfoKey,
  serviceSpecKey, appSpecKey, deviceInfoKey, deviceDocKey, instanceIdOf, appSpecIdOf, isSafeName,
  REVOKED_SESSIONS_PREFIX, revokedSessionKey,
} from '../api/keys.js';
