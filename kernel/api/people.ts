// The people part of the control panel (/kapi/control-panel): upstream BuckyOS's user.* methods
// (src/frame/control_panel/src/user_mgr.rs) and app availability (buckyos-api app_availability.rs),
// acting with the caller's own token. Every write here changes who may do what, so the kernel
// accepts it only from a sudo token of an admin (su_admin) — or, for their own password, of the person.
import type { UserType } from './zone.js';

// ---- app availability (per-app access) --------------------------------------------------------
/** `services/control_panel/app_availability/policies/<app_instance_id>` (upstream's key). */
export const APP_AVAILABILITY_POLICY_PREFIX = 'services/control_panel/app_availability/policies';
export const appAvailabilityPolicyKey = (appInstanceId: string) => `${APP_AVAILABILITY_POLICY_PREFIX}/${appInstanceId}`;
export const APP_AVAILABILITY_SCHEMA_VERSION = 1;

/** The availability groups of upstream: a user's type decides their group. */
export type AvailabilityGroup = 'admins' | 'users' | 'limited' | 'guest';
export type AvailabilityEffect = 'allow' | 'deny';

/**
 * Who besides its owner may use one installed app (upstream's AppAvailabilityPolicy, same JSON).
 * Decision order: the owner always; an exact user rule; a deny, then an allow, of the person's group;
 * groups `admins` and `users` by default; everyone else not.
 */
export interface AppAvailabilityPolicy {
  schema_version: 1;
  /** `<installation_id>@<owner user>` */
  app_instance_id: string;
  /** Always "deny" (upstream refuses anything else). */
  default_effect: 'deny';
  group_rules: { group_id: AvailabilityGroup; effect: AvailabilityEffect }[];
  user_rules: { user_id: string; effect: AvailabilityEffect }[];
  /** Counts the policy's changes (1 after the first). */
  revision: number;
  updated_by: string;
  /** Unix seconds. */
  updated_at: number;
}

export type AvailabilityReason =
  | 'owner' | 'exact_user_allow' | 'exact_user_deny' | 'group_allow' | 'group_deny' | 'default_group_allow' | 'default_deny'
  | 'user_not_active' | 'owner_not_active' | 'app_deleted' | 'invalid_policy';

export interface AppAvailabilityDecision {
  allowed: boolean;
  app_id: string;
  app_instance_id: string;
  owner_user_id: string;
  reason: AvailabilityReason;
}

// ---- user.* -------------------------------------------------------------------------------------
/** The types the panel may give a person (never root; guest has no login). */
export type PersonType = Extract<UserType, 'admin' | 'user' | 'limited'>;
/** What user.change_state accepts: active, or switched off (upstream's "suspended:<reason>" form too). */
export type PersonState = 'active' | 'suspended' | `suspended:${string}`;

export interface PersonAppAccess {
  /** `<installation_id>@<owner>` */
  app_instance_id: string;
  app_id: string;
  owner_user_id: string;
  allowed: boolean;
  reason: AvailabilityReason;
}

export interface UserCreateParams {
  user_id: string;
  /** The BuckyOS verifier base64(sha256(password + user_id + ".buckyos")), computed by the client. */
  password_hash: string;
  user_type?: PersonType;
  show_name?: string;
  /**
   * Ours: the apps (app_instance_id) this person may use; every other installed app gets a deny rule
   * for them. Absent: upstream's defaults (admins and users may use every app).
   */
  apps?: string[];
}
export interface UserChangeResult {
  ok: true;
  user_id: string;
}
export interface UserCreateResult extends UserChangeResult {
  created: true;
  user_type: PersonType;
  state: 'active';
}

export interface PeopleMethods {
  'user.create': { params: UserCreateParams; result: UserCreateResult };
  'user.update': { params: { user_id?: string; show_name: string }; result: UserChangeResult };
  /** Soft delete (upstream): state "deleted", password verifier removed, sessions ended; the name stays taken. */
  'user.delete': { params: { user_id: string }; result: UserChangeResult };
  /** Without user_id: the caller's own password. */
  'user.change_password': { params: { user_id?: string; new_password_hash: string }; result: UserChangeResult };
  /** Switching a person off also ends their sessions. */
  'user.change_state': { params: { user_id: string; state: PersonState }; result: UserChangeResult & { state: string } };
  'user.change_type': { params: { user_id: string; user_type: PersonType }; result: UserChangeResult & { user_type: PersonType } };
  /** Ours: every installed app and whether this person may use it, with the rule that decided. */
  'user.apps': { params: { user_id: string }; result: { apps: PersonAppAccess[] } };
  /** Ours: allow or deny apps for one person, all in one transaction. */
  'user.set_apps': { params: { user_id: string; apps: Record<string, boolean> }; result: UserChangeResult };
  /** Upstream: the policy of one app (the owner default when none is stored). */
  'apps.availability.get': { params: { app_instance_id: string }; result: AppAvailabilityPolicy };
}
