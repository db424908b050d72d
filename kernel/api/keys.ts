// Every zone KV key, built by one function each (spec 10 §2, docs/CONTRACTS.md). Nothing outside
// kernel/api spells a key path; a test greps for strays.

// ---- fixed keys ------------------------------------------------------------------------------
export const BOOT_CONFIG_KEY = 'boot/config';
export const RBAC_PREFIX = 'system/rbac/';
export const RBAC_POLICY_KEY = `${RBAC_PREFIX}policy`;
export const SCHEDULER_PREFIX = 'system/scheduler/';
export const SCHEDULER_SNAPSHOT_KEY = `${SCHEDULER_PREFIX}snapshot`;
export const SCHEDULER_HISTORY_PREFIX = `${SCHEDULER_PREFIX}history/`;
export const SYSTEM_PKGS_KEY = 'system/system_pkgs';
/** The app index counter, advanced by compare-and-swap on its revision. */
export const APP_INDEX_SEQ_KEY = 'system/app_installer/app_index_seq';
/**
 * Versions of one package this zone rolled back as broken (ours; `RolledBackVersions`), written by the
 * app-manager with the automatic rollback; an install that names no version prefers the others.
 */
export const rolledBackVersionsKey = (pkg: string) => `system/app_installer/rolled_back/${pkg}`;
export const GATEWAY_SETTINGS_KEY = 'services/gateway/settings';
export const VERIFY_HUB_SETTINGS_KEY = 'services/verify-hub/settings';
export const VERIFY_HUB_KEY = 'security/verify-hub/key';
/** Refresh-token state, one key per session (ours). */
export const SESSIONS_PREFIX = 'security/verify-hub/sessions';
/** Single-use markers for login nonces and login JWT ids, named `<expires unix s>-<sha256 hex>`. */
export const REPLAY_PREFIX = 'security/verify-hub/replay';
/**
 * Ended verify-hub sessions, one key per `session` claim holding `{"exp": <unix s>}`: until then a
 * session token of that session may still be unexpired, so every token verifier refuses it. verify-hub
 * writes an entry with the session's revocation and sweeps it after `exp` (kernel services read it).
 */
export const REVOKED_SESSIONS_PREFIX = 'security/verify-hub/revoked';
/** Login failure counters `{failures, last_failure_ms}`, one per user name and one per client address (ours). */
export const LOCKOUT_PREFIX = 'security/verify-hub/lockout';

// ---- top-level folders -----------------------------------------------------------------------
export const USERS_DIR = 'users';
export const DEVICES_DIR = 'devices';
export const NODES_DIR = 'nodes';
export const SERVICES_DIR = 'services';
export const SYSTEM_DIR = 'system';
export const SECURITY_DIR = 'security';

/**
 * What `dump_configs_for_scheduler` returns (spec 10 §3); `zone/` is ours (upstream pitfall 6),
 * `security/` never.
 */
export const DUMP_PREFIXES: readonly string[] = ['boot/', 'devices/', 'users/', 'services/', 'system/', 'nodes/', 'zone/'];

// ---- nodes and devices -----------------------------------------------------------------------
export const nodeConfigKey = (node: string) => `${NODES_DIR}/${node}/config`;
export const nodeGatewayInfoKey = (node: string) => `${NODES_DIR}/${node}/gateway_info`;
export const nodeGatewayConfigKey = (node: string) => `${NODES_DIR}/${node}/gateway_config`;
export const deviceInfoKey = (node: string) => `${DEVICES_DIR}/${node}/info`;
export const deviceDocKey = (node: string) => `${DEVICES_DIR}/${node}/doc`;

// ---- services ----------------------------------------------------------------------------------
export const serviceInfoKey = (service: string) => `${SERVICES_DIR}/${service}/info`;
export const serviceSpecKey = (service: string) => `${SERVICES_DIR}/${service}/spec`;
export const serviceSettingsKey = (service: string) => `${SERVICES_DIR}/${service}/settings`;
/** Where instance reports of one spec live; children are node names. */
export const instancesDir = (specId: string) => `${SERVICES_DIR}/${specId}/instances`;
export const instanceReportKey = (specId: string, node: string) => `${instancesDir(specId)}/${node}`;

// ---- users and their apps --------------------------------------------------------------------
export const userSettingsKey = (user: string) => `${USERS_DIR}/${user}/settings`;
export const userDocKey = (user: string) => `${USERS_DIR}/${user}/doc`;
export const userProfileKey = (user: string) => `${USERS_DIR}/${user}/profile`;
export const userAppsDir = (user: string) => `${USERS_DIR}/${user}/apps`;
export const appSpecKey = (user: string, installationId: string) => `${userAppsDir(user)}/${installationId}/spec`;
export const installRecordKey = (user: string, installationId: string) => `${userAppsDir(user)}/${installationId}/install_record`;

// ---- scheduler and verify-hub ------------------------------------------------------------------
export const schedulerHistoryKey = (rev: number) => `${SCHEDULER_HISTORY_PREFIX}${rev}`;
export const passwordKey = (user: string) => `security/verify-hub/passwords/${user}`;
export const sessionKey = (session: number) => `${SESSIONS_PREFIX}/${session}`;
export const revokedSessionKey = (session: number) => `${REVOKED_SESSIONS_PREFIX}/${session}`;
export const lockoutUserKey = (user: string) => `${LOCKOUT_PREFIX}/users/${user}`;
/** `address` is an IP address, or `unknown` (verify-hub's throttle decides). */
export const lockoutClientKey = (address: string) => `${LOCKOUT_PREFIX}/clients/${address}`;

// ---- ids that become key segments --------------------------------------------------------------
/** Instance ids are `<spec_id>@<node>` for kernel services and apps alike (spec 20 §11). */
export const instanceIdOf = (specId: string, node: string) => `${specId}@${node}`;
/** An app's spec id `<installation_id>@<user>`; named arguments, since both are plain strings. */
export const appSpecIdOf = ({ user, installationId }: { user: string; installationId: string }) => `${installationId}@${user}`;

/** KV resource name in RBAC rules: `obj://config/<key>`. */
export const CONFIG_RESOURCE_PREFIX = 'obj://config/';
/** With `prefix`, the resource names everything below `key` (the empty key: the whole tree). */
export const configResource = (key: string, opts: { prefix?: boolean } = {}) =>
  (opts.prefix ? `${CONFIG_RESOURCE_PREFIX}${key === '' ? '' : `${key}/`}` : `${CONFIG_RESOURCE_PREFIX}${key}`);

/**
 * Names that become KV path segments and JSON object keys. Rejects `__proto__`-style names, path
 * tricks and separators, so nothing read from the dump can reach an object prototype or another key.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const isSafeName = (s: string) => NAME.test(s) && !s.includes('..');

// ---- reading keys back -------------------------------------------------------------------------
const DEVICE_INFO_KEY = /^devices\/([^/]+)\/info$/;
const INSTANCE_REPORT_KEY = /^services\/([^/]+)\/instances\/([^/]+)$/;
const SERVICE_INFO_KEY = /^services\/([^/]+)\/info$/;
/** The node of a `devices/<node>/info` key, else undefined. */
export const nodeOfDeviceInfoKey = (key: string) => DEVICE_INFO_KEY.exec(key)?.[1];
/** Spec id and node of a `services/<spec>/instances/<node>` key, else undefined. */
export function parseInstanceReportKey(key: string): { specId: string; node: string } | undefined {
  const m = INSTANCE_REPORT_KEY.exec(key);
  return m ? { specId: m[1], node: m[2] } : undefined;
}
/** The service of a `services/<s>/info` key, else undefined. */
export const serviceOfInfoKey = (key: string) => SERVICE_INFO_KEY.exec(key)?.[1];
