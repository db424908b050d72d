// The app ids the default RBAC policy puts in built-in groups (spec 60 §5.2), said once: the policy's
// `g,` lines, the scheduler's group for a kernel spec, and verify-hub's reserved app ids all come from
// this table.

export type BuiltinGroup = 'kernel' | 'system' | 'frame';

export const BUILTIN_APP_GROUPS: Readonly<Record<string, BuiltinGroup>> = {
  'node-daemon': 'kernel',
  scheduler: 'kernel',
  'system-config': 'kernel',
  'verify-hub': 'kernel',
  'cyfs-gateway': 'kernel',
  buckycli: 'kernel',
  'task-manager': 'system',
  kmsg: 'system',
  'control-panel': 'system',
  // ours: the app-manager installs, upgrades and removes apps (upstream: the control-panel's installer).
  'app-manager': 'system',
  'repo-service': 'frame',
  aicc: 'frame',
  'msg-center': 'frame',
  opendan: 'frame',
  slog_server: 'frame',
  smb_service: 'frame',
};

/**
 * The clients a person logs in through: their sessions carry these app ids by design (the CLI as
 * upstream's buckycli, the control panel), so the user-side RBAC check is what limits them.
 */
export const USER_CLIENT_APPIDS: readonly string[] = ['buckycli', 'control-panel'];

/** App ids a user session may not claim: `kernel` itself and every built-in app that is not a user client. */
export const RESERVED_APPIDS: readonly string[] = [
  'kernel',
  ...Object.keys(BUILTIN_APP_GROUPS).filter((app) => !USER_CLIENT_APPIDS.includes(app)),
];

/** The RBAC group of a kernel spec: its built-in group where the policy names one, else `kernel`. */
export const kernelSpecGroup = (name: string): BuiltinGroup =>
  (Object.hasOwn(BUILTIN_APP_GROUPS, name) ? BUILTIN_APP_GROUPS[name] : 'kernel');
