// The control-panel's operations methods (/kapi/control-panel): an app instance's last log lines and
// the config browser. Upstream BuckyOS names: `system.logs.tail` and `sys_config.get|list|set`
// (src/frame/control_panel sys_log_mgr.rs, sys_settings.rs); `sys_config.watch` is ours. Every method
// acts with the caller's own token, so system-config's RBAC decides what each person may read.

/** Most lines one tail returns (upstream: MAX_LOG_LIMIT 1000; ours is smaller: the panel shows a screenful). */
export const MAX_LOG_TAIL_LINES = 500;
export const DEFAULT_LOG_TAIL_LINES = 100;

/** One log line, upstream's shape. */
export interface LogEntry {
  /** ISO time when the line carries one (node-daemon's own lines do), else "". */
  timestamp: string;
  /** "info", "warning", "error" (upstream's normalised levels). */
  level: string;
  message: string;
  raw: string;
  /** The installation id asked for. */
  service: string;
  /** The log file the line comes from (its name only). */
  file: string;
}

export interface LogsTailParams {
  /** Installation id of an app of `user`. */
  service: string;
  /** Whose app it is; the caller when absent. */
  user?: string;
  limit?: number;
}

export interface LogsTailResult {
  entries: LogEntry[];
  /** Upstream's cursor (opaque); ours is the file size read up to. */
  nextCursor: string;
  /** The device whose log this is. */
  node: string;
}

/** `sys_config.get` (upstream's shape, plus `secret`). */
export interface SysConfigValue {
  key: string;
  /** The value; null when the key does not exist or when it is a secret. */
  value: string | null;
  version: number;
  isChanged: boolean;
  /** Ours: the value is a secret (a key, a password verifier, a lockout counter…) and is never shown. */
  secret?: true;
}

/**
 * Keys whose whole value is a secret: everything under security/ (password verifiers, the session
 * key, sessions, lockout counters, replay markers) and any key whose last segment names a secret.
 */
export const SECRET_KEY_PATTERNS: readonly RegExp[] = [
  /^security(\/|$)/,
  /(^|\/)[^/]*(secret|password|passwd|private|verifier|lockout|_token)[^/]*$/i,
];
/** JSON members whose value is a secret wherever they appear (`d` is a JWK's private part). */
export const SECRET_MEMBER_PATTERN = /^(d|p|q|dp|dq|qi|.*(secret|password|passwd|private|verifier|token).*)$/i;
export const isSecretKey = (key: string) => SECRET_KEY_PATTERNS.some((p) => p.test(key));

export interface SysConfigWatchChange {
  key: string;
  /** The key's revision after the change. */
  version: number;
  deleted: boolean;
}

export type SysConfigWatchResult = { revision: number; changes: SysConfigWatchChange[] } | { revision: number; compacted: true };

export interface ControlPanelOpsMethods {
  'system.logs.tail': { params: LogsTailParams; result: LogsTailResult };
  /** Direct children of `key` ("" is the root). */
  'sys_config.list': { params: { key: string }; result: { key: string; items: string[] } };
  'sys_config.get': { params: { key: string }; result: SysConfigValue };
  /** With `version`, the write happens only if the key is still at that revision (VERSION_CONFLICT otherwise). */
  'sys_config.set': { params: { key: string; value: string; version?: number }; result: { ok: true; key: string } };
  /** Ours: which keys under `key` changed after `revision` (no values: the page reads them again through `sys_config.get`). */
  'sys_config.watch': { params: { key: string; revision: number; timeout_ms?: number }; result: SysConfigWatchResult };
}
