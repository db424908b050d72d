// Names no user, app or device of a zone may take, because RBAC already gives them a meaning: the
// roles of the policy, the kernel's own service and app ids (every member of a built-in group of the
// default policy, e.g. `scheduler` → kernel, `control-panel` → system), and sudo subjects (`su_<u>`).
// A subject is matched by name, so a device or app called like one of them would hold its rights.
import { BUILTIN_APP_GROUPS } from '../../api/rbac.js';
import { RBAC_ROLE_NAMES } from './policy.js';

/** The kernel's service and app ids: the members of the default policy's built-in groups, and a few of ours. */
export const KERNEL_IDS: ReadonlySet<string> = new Set([
  ...Object.keys(BUILTIN_APP_GROUPS),
  // ours: services and routes of this kernel that have no line in the upstream policy.
  'gateway', 'repo-server', 'activation', 'join',
]);

export type ReservedKind = 'role' | 'kernel' | 'sudo';

/** Why `name` is reserved, or undefined when a user, app or device may take it. */
export function reservedNameKind(name: string): ReservedKind | undefined {
  if (RBAC_ROLE_NAMES.has(name)) return 'role';
  if (KERNEL_IDS.has(name)) return 'kernel';
  if (name.startsWith('su_')) return 'sudo';
  return undefined;
}

export const isReservedName = (name: string) => reservedNameKind(name) !== undefined;

/** A sentence for an error message: `"scheduler" is a kernel service id`. */
export function describeReserved(name: string): string | undefined {
  switch (reservedNameKind(name)) {
    case 'role': return `"${name}" is a role name in the zone's access rules`;
    case 'kernel': return `"${name}" is the id of a kernel service or kernel app`;
    case 'sudo': return `"${name}" is a sudo subject name (su_<user>)`;
    default: return undefined;
  }
}
