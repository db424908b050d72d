// The default RBAC policy BuckyOS compiles into its runtime (spec 60 §5.2), transcribed in policy
// order (the model's priority effect means the first matching line decides), plus a few lines of
// ours, each marked. The zone's dynamic tail (KV `system/rbac/policy`) is appended after it.
import { BUILTIN_APP_GROUPS } from '../../api/rbac.js';

/** `g, <app>, <group>` for every built-in app id (kernel/api/rbac.ts). */
const builtinGroupLines = Object.entries(BUILTIN_APP_GROUPS).map(([app, group]) => `g, ${app}, ${group}`).join('\n');

export const DEFAULT_RBAC_POLICY = `
p, kernel, obj://*, all,allow
p, ood, obj://*, all,allow
p, root, obj://*, all,allow
p, su_admin, obj://*, all,allow

# ours: the control panel sets password verifiers (a new person, a reset, a person's own change); the
# user side decides for whom: su_admin for anyone, su_<u> for u alone (the scheduler's tail).
p, control-panel, obj://config/security/verify-hub/passwords/{user}, write,allow
# ours: switching a person off or removing them ends their sessions in the same transaction: the panel
# finds them and puts them on the revocation list (again su_admin on the user side).
p, control-panel, obj://config/security/verify-hub/sessions/, read,allow
p, control-panel, obj://config/security/verify-hub/sessions/{session}, read|write,allow
p, control-panel, obj://config/security/verify-hub/revoked/{session}, write,allow

p, system, obj://dfs/security/*,all,deny
p, system, obj://config/security/*,all,deny
p, system, obj://*, all,allow

p, frame, obj://config/boot/*, read,allow
p, frame, obj://config/system/*,read,allow
p, frame, obj://config/agents/{agent}/{key},read,allow
p, frame, obj://config/services/{frame}/*,all,allow
p, frame, obj://config/services/{service}/info,read,allow
# Upstream text. keyMatch3 widens only "/*", so this grants exactly obj://config/users, not the keys below it.
p, frame, obj://config/users*,read,allow

p, app, obj://config/boot/*, read,allow
p, app, obj://config/users/{user}/apps/{app}/settings,read|write,allow
p, app, obj://config/users/{user}/apps/{app}/spec,read,allow
p, app, obj://config/users/{user}/apps/{app}/info,read|write,allow
p, app, obj://config/services/{service}/info,read,allow

p, agent, obj://config/boot/*, read,allow
p, agent, obj://config/agents/{agent}/*,read,allow
p, agent, obj://config/users/{user}/agents/{agent}/settings,read|write,allow
p, agent, obj://config/users/{user}/agents/{agent}/spec,read,allow
p, agent, obj://config/users/{user}/agents/{agent}/info,read|write,allow
p, agent, obj://config/services/{service}/info,read,allow
p, agent, obj://config/services/{agent}/instances/{node},write,allow

p, admin,obj://config/boot/*, read,allow
p, admin,obj://config/system/*,read,allow
p, admin,obj://config/agents/{agent}/doc,read,allow
p, admin,obj://config/agents/{agent}/settings,read|write,allow
p, admin,obj://config/users/{admin}/*,read,allow
p, admin,obj://config/users/{admin}/profile,read|write,allow
p, admin,obj://config/users/{admin}/apps/{app}/{key},read|write,allow
p, admin,obj://config/users/{admin}/agents/{agent}/{key},read|write,allow
p, admin,obj://config/services/aicc/settings,read|write,allow
p, admin,obj://config/services/msg-center/settings,read|write,allow
p, admin,obj://config/services/{service}/instances/{node},write,allow
p, admin,obj://config/services/*,read,allow
p, admin,obj://task/{admin},read,allow
# ours: admins publish and install packages on the zone's repo-server.
p, admin,obj://repo/*,read|write,allow
# ours: an admin (the zone owner) sees the zone's own devices and people: nodes/<n>/… (config, routes),
# devices/<n>/… (the owner-signed doc, the node's info) and the user list with each user's public doc
# and settings (type and state; the password verifier is under security/, which stays closed). Upstream
# denies these reads; the CLI and the control panel read them with the owner's own session token.
p, admin,obj://config/nodes/*,read,allow
p, admin,obj://config/devices/*,read,allow
p, admin,obj://config/users/,read,allow
p, admin,obj://config/users/{user}/doc,read,allow
p, admin,obj://config/users/{user}/settings,read,allow
# ours (issue 11): an admin (the owner) scans, approves and removes devices through the control panel's
# device.* methods; the OOD signs and writes, under the owner's enrolment delegation.
p, admin,obj://devices/*,read|write,allow

p, users,obj://config/boot/*, read,allow
p, users,obj://config/agents/{agent}/doc,read,allow
p, users,obj://config/users/{users}/*,read,allow
p, users,obj://config/users/{users}/profile,read|write,allow
p, users,obj://config/users/{users}/apps/{app}/{key},read|write,allow
p, users,obj://config/users/{users}/agents/{agent}/{key},read|write,allow
p, users,obj://config/services/{service}/info,read,allow
p, users,obj://config/services/{service}/instances/{node},write,allow
p, users,obj://task/{users},read,allow
# ours: users may browse and download packages, never publish.
p, users,obj://repo/*,read,allow

# ours: upstream has no rules for "node" devices (non-OOD nodes), so their node-daemon could not even
# read its own config. A node reads what it needs to converge and reports only about itself.
p, node, obj://config/boot/*, read,allow
p, node, obj://config/system/rbac/policy, read,allow
p, node, obj://config/nodes/{node}/*, read,allow
p, node, obj://config/devices/{node}/info, read|write,allow
p, node, obj://config/devices/{device}/doc, read,allow
# ours (issue 12): every node's rtcp stack refuses removed devices, so it follows the revocation list.
p, node, obj://config/system/device_revocations/*, read,allow
p, node, obj://config/services/{service}/info, read,allow
p, node, obj://config/services/{service}/instances/{node}, read|write,allow
p, node, obj://repo/*, read,allow

${builtinGroupLines}
`;

/**
 * Names that are roles in the policy above. A token whose subject is one of them would match the
 * role's rules directly (`r.sub == p.sub`), so verification refuses such subjects (except an
 * owner-signed `root`).
 */
export const RBAC_ROLE_NAMES: ReadonlySet<string> = new Set([
  'kernel', 'ood', 'root', 'su_admin', 'system', 'frame', 'app', 'agent', 'admin', 'users', 'su_users',
  'limited', 'guest', 'node',
]);
