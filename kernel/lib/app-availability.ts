// Who may use an installed app (upstream buckyos-api app_availability.rs, evaluate_app_availability),
// as a pure function so verify-hub (at login), the control panel (the People screen) and the
// permission preview decide alike. The policy shape and its KV key are in kernel/api/people.ts.
import {
  APP_AVAILABILITY_SCHEMA_VERSION, type AppAvailabilityDecision, type AppAvailabilityPolicy, type AvailabilityGroup, type AvailabilityReason,
} from '../api/people.js';

const GROUPS: ReadonlySet<string> = new Set<AvailabilityGroup>(['admins', 'users', 'limited', 'guest']);

/** The availability group of a user type (root has none: root never logs in). */
export function groupOfUserType(type: string): AvailabilityGroup | undefined {
  switch (type) {
    case 'admin': return 'admins';
    case 'user': return 'users';
    case 'limited': return 'limited';
    case 'guest': return 'guest';
    default: return undefined;
  }
}

/** What the decision reads of a user's settings. */
export interface AvailabilityUser {
  type: string;
  state: string;
}

const isActiveUser = (s: AvailabilityUser | undefined) => s?.state === 'active' && s.type !== 'root' && s.type !== 'guest';

/** Whether a stored policy is one upstream would accept; a bad one denies everyone but the owner. */
export function policyIsValid(p: unknown, appInstanceId: string): p is AppAvailabilityPolicy {
  if (typeof p !== 'object' || p === null) return false;
  const v = p as Partial<AppAvailabilityPolicy>;
  if (v.schema_version !== APP_AVAILABILITY_SCHEMA_VERSION || v.app_instance_id !== appInstanceId || v.default_effect !== 'deny') return false;
  if (!Array.isArray(v.group_rules) || !Array.isArray(v.user_rules)) return false;
  const groups = new Set<string>();
  for (const r of v.group_rules) {
    if (!r || !GROUPS.has(r.group_id) || (r.effect !== 'allow' && r.effect !== 'deny') || groups.has(r.group_id)) return false;
    groups.add(r.group_id);
  }
  const users = new Set<string>();
  for (const r of v.user_rules) {
    if (!r || typeof r.user_id !== 'string' || !r.user_id.trim() || r.user_id === 'guest' || r.user_id === 'root') return false;
    if ((r.effect !== 'allow' && r.effect !== 'deny') || users.has(r.user_id)) return false;
    users.add(r.user_id);
  }
  return true;
}

export interface AvailabilityInput {
  /** The person asking (undefined: unknown user). */
  userId: string;
  user: AvailabilityUser | undefined;
  app: { appId: string; appInstanceId: string; ownerUserId: string; state?: string };
  owner: AvailabilityUser | undefined;
  /** The stored policy as parsed JSON, or undefined when none is stored. */
  policy: unknown;
}

/** Upstream's decision for a user-installed app. */
export function evaluateAppAvailability(input: AvailabilityInput): AppAvailabilityDecision {
  const { app } = input;
  const decide = (allowed: boolean, reason: AvailabilityReason): AppAvailabilityDecision =>
    ({ allowed, app_id: app.appId, app_instance_id: app.appInstanceId, owner_user_id: app.ownerUserId, reason });
  if (app.state === 'deleted') return decide(false, 'app_deleted');
  if (!isActiveUser(input.user)) return decide(false, 'user_not_active');
  if (!isActiveUser(input.owner)) return decide(false, 'owner_not_active');
  if (input.userId === app.ownerUserId) return decide(true, 'owner');
  let policy: AppAvailabilityPolicy | undefined;
  if (input.policy !== undefined) {
    if (!policyIsValid(input.policy, app.appInstanceId)) return decide(false, 'invalid_policy');
    policy = input.policy;
    const exact = policy.user_rules.find((r) => r.user_id === input.userId);
    if (exact) return decide(exact.effect === 'allow', exact.effect === 'allow' ? 'exact_user_allow' : 'exact_user_deny');
  }
  const group = groupOfUserType(input.user!.type);
  if (policy && group) {
    const rules = policy.group_rules.filter((r) => r.group_id === group);
    if (rules.some((r) => r.effect === 'deny')) return decide(false, 'group_deny');
    if (rules.some((r) => r.effect === 'allow')) return decide(true, 'group_allow');
  }
  if (group === 'admins' || group === 'users') return decide(true, 'default_group_allow');
  return decide(false, 'default_deny');
}

/** The owner default (upstream AppAvailabilityPolicy::owner_default). */
export function ownerDefaultPolicy(appInstanceId: string): AppAvailabilityPolicy {
  return { schema_version: 1, app_instance_id: appInstanceId, default_effect: 'deny', group_rules: [], user_rules: [], revision: 0, updated_by: '', updated_at: 0 };
}

/** The policy with one person's rule set to `allowed` (replacing theirs), revision advanced. */
export function withUserRule(policy: AppAvailabilityPolicy, userId: string, allowed: boolean, by: string, nowS: number): AppAvailabilityPolicy {
  const user_rules = policy.user_rules.filter((r) => r.user_id !== userId);
  user_rules.push({ user_id: userId, effect: allowed ? 'allow' : 'deny' });
  return { ...policy, user_rules, revision: policy.revision + 1, updated_by: by, updated_at: nowS };
}
