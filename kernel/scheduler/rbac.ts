// The derived tail of system/rbac/policy (spec 60 §5.3, spec 20 §7). Ours: everything below the
// "# user-managed" line is kept byte for byte, so lines an admin or control-panel appends survive
// the scheduler's rewrite (upstream replaces the whole tail, pitfall 3 of spec 10).
import { kernelSpecGroup } from '../api/rbac.js';
import { userRbacLines } from '../lib/rbac/user-lines.js';
import type { NodeType, SpecItem, UserItem } from './types.js';
import { USER_MANAGED_MARKER, userManagedSection } from '../lib/rbac/policy-lines.js';
export { USER_MANAGED_MARKER, userManagedSection };

export const RBAC_HEADER = '# derived by the scheduler from users, nodes and specs; edit only below "# user-managed"';

export interface RbacSubjects {
  users: UserItem[];
  /** node name → type; zone OODs are included even before their device info exists */
  nodes: Record<string, NodeType>;
  specs: Array<Pick<SpecItem, 'id' | 'kind' | 'appId' | 'state'>>;
}

const byName = <T>(list: T[], name: (t: T) => string) => [...list].sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));

export function deriveRbacLines(s: RbacSubjects): string[] {
  const lines: string[] = [];
  for (const u of byName(s.users, (u) => u.id)) lines.push(...userRbacLines(u));
  for (const name of Object.keys(s.nodes).sort()) {
    const type = s.nodes[name];
    if (type === 'ood') lines.push(`g, ${name}, ood`);
    else if (type === 'server' || type === 'node') lines.push(`g, ${name}, node`);
  }
  const specLines = new Set<string>();
  for (const spec of byName(s.specs, (x) => x.id)) {
    if (spec.state === 'deleted') continue;
    specLines.add(spec.kind === 'kernel' ? `g, ${spec.appId}, ${kernelSpecGroup(spec.appId)}` : `g, ${spec.appId}, app`);
  }
  return [...lines, ...[...specLines].sort()];
}

export function renderPolicy(derived: string[], userManaged: string): string {
  return [RBAC_HEADER, ...derived, USER_MANAGED_MARKER, userManaged].join('\n');
}
