// The zone's well-known KV keys (spec 10 §2, docs/CONTRACTS.md), shared by every service so none spells them twice.

export const SCHEDULER_SNAPSHOT_KEY = 'system/scheduler/snapshot';
export const SCHEDULER_HISTORY_PREFIX = 'system/scheduler/history/';
export const RBAC_POLICY_KEY = 'system/rbac/policy';
export const BOOT_CONFIG_KEY = 'boot/config';
export const GATEWAY_SETTINGS_KEY = 'services/gateway/settings';

export const historyKey = (rev: number) => `${SCHEDULER_HISTORY_PREFIX}${rev}`;
export const nodeConfigKey = (node: string) => `nodes/${node}/config`;
export const nodeGatewayInfoKey = (node: string) => `nodes/${node}/gateway_info`;
export const nodeGatewayConfigKey = (node: string) => `nodes/${node}/gateway_config`;
export const serviceInfoKey = (service: string) => `services/${service}/info`;
export const serviceSpecKey = (service: string) => `services/${service}/spec`;
export const appSpecKey = (user: string, installationId: string) => `users/${user}/apps/${installationId}/spec`;
export const deviceInfoKey = (node: string) => `devices/${node}/info`;
export const deviceDocKey = (node: string) => `devices/${node}/doc`;

/**
 * Ended verify-hub sessions, one key per `session` claim holding `{"exp": <unix s>}`: until then a
 * session token of that session may still be unexpired, so every token verifier refuses it. verify-hub
 * writes an entry with the session's revocation and sweeps it after `exp` (kernel services read it).
 */
export const REVOKED_SESSIONS_PREFIX = 'security/verify-hub/revoked';
export const revokedSessionKey = (session: number) => `${REVOKED_SESSIONS_PREFIX}/${session}`;

/** Instance ids are `<spec_id>@<node>` for kernel services and apps alike (spec 20 §11). */
export const instanceIdOf = (specId: string, node: string) => `${specId}@${node}`;
export const appSpecIdOf = (installationId: string, user: string) => `${installationId}@${user}`;

/**
 * Names that become KV path segments and JSON object keys. Rejects `__proto__`-style names, path
 * tricks and separators, so nothing read from the dump can reach an object prototype or another key.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const isSafeName = (s: string) => NAME.test(s) && !s.includes('..');
