// Permission previews (issue 10): "what can this person, app or device do?", "who can write this
// key?", the gain/loss diff of a proposed policy change and the policy tests kept with the policy.
// Every answer is computed by the zone's own casbin enforcer in the kernel; these are the control-panel
// methods and the KV value (`system/rbac/tests`) that carry them.
import { RBAC_PREFIX } from './keys.js';

/** The zone's policy tests: assertions checked on every change of the rules below "# user-managed" or of the tests. */
export const RBAC_TESTS_KEY = `${RBAC_PREFIX}tests`;

/** A person signs in through the control panel; an app runs as its owner; a device speaks as itself. */
export type SubjectRef =
  | { kind: 'person'; user: string; sudo?: boolean }
  | { kind: 'app'; app: string; owner: string }
  | { kind: 'device'; device: string };

export type RbacAction = 'read' | 'write';

/**
 * One policy line that decided, where it is: the bundled default policy, the zone's
 * `system/rbac/policy`, or the line system-config adds for its own device (`g, <ood>, ood`).
 */
export interface PolicyLineRef {
  /** `p, users, obj://config/users/{users}/*, read, allow` */
  line: string;
  source: 'default' | 'zone' | 'implicit';
  /** 1-based line number in its source text */
  lineNo: number;
}

/** One side of a decision (spec 60 §5.4: the app side and the user side must both allow). */
export interface SideDecision {
  /** The casbin subject asked: an app id, a user id, `su_<user>`, a device name. */
  subject: string;
  allowed: boolean;
  /** The line whose effect decided; absent when no line matched (default deny). */
  by?: PolicyLineRef;
}

export interface Decision {
  allowed: boolean;
  app: SideDecision;
  user: SideDecision;
}

/** A key area: a KV key with every name that does not change the decision written `{any}`. */
export interface AreaDecision {
  area: string;
  /** How many of the zone's keys fall in this area right now. */
  keys: number;
  /** One of them, for people to recognise the area by. */
  example: string;
  read: Decision;
  write: Decision;
}

export interface MethodDecision {
  service: string;
  method: string;
  /** The resource the method reads or writes (`obj://config/…`, `obj://repo/*`). */
  resource: string;
  action: RbacAction;
  decision: Decision;
}

export interface PermissionPreview {
  subject: SubjectRef;
  /** The casbin subjects of both sides, and the groups each belongs to. */
  appSubject: string;
  userSubject: string;
  groups: { app: string[]; user: string[] };
  areas: AreaDecision[];
  methods: MethodDecision[];
  /** Revision of system/rbac/policy the answer was computed from. */
  policyRevision: number;
}

export interface WhoCanEntry {
  subject: SubjectRef;
  decision: Decision;
}

export interface WhoCan {
  key: string;
  action: RbacAction;
  allowed: WhoCanEntry[];
  denied: WhoCanEntry[];
}

/** An assertion kept with the policy; `key` is a KV key (`users/bob/settings`). */
export interface PolicyTest {
  name: string;
  subject: SubjectRef;
  key: string;
  action: RbacAction;
  expect: 'allow' | 'deny';
}

export interface PolicyTestsDoc {
  tests: PolicyTest[];
}

export interface PolicyTestResult {
  name: string;
  passed: boolean;
  decision: Decision;
  test: PolicyTest;
}

export interface PermissionChange {
  subject: SubjectRef;
  area: string;
  action: RbacAction;
  /** The line that decides after the change (gain) or decided before it (loss). */
  by?: PolicyLineRef;
}

export interface PolicyDiff {
  gains: PermissionChange[];
  losses: PermissionChange[];
  /** Subjects whose groups or lines the change touches (the ones the diff examined). */
  examined: number;
}

export interface PolicyCheck {
  /** Lines of the proposed rules that are not well-formed rules (they would be ignored). */
  rejected: string[];
  diff: PolicyDiff;
  tests: PolicyTestResult[];
  /** True when nothing is rejected and every test passes: the change may be saved. */
  ok: boolean;
}

export interface RoleSummary {
  role: string;
  builtin: boolean;
  /** Direct members from `g` lines (people, apps, devices, other roles). */
  members: string[];
}

export interface PolicyState {
  /** The rules the scheduler derives from people, devices and apps (read-only here). */
  derived: string;
  /** The rules an owner edits: everything below "# user-managed". */
  userManaged: string;
  tests: PolicyTest[];
  roles: RoleSummary[];
  /** People, apps and devices of the zone, for pickers. */
  subjects: SubjectRef[];
  policyRevision: number;
  testsRevision: number;
}

export interface PermissionMethods {
  'rbac.state': { params: Record<string, never>; result: PolicyState };
  'rbac.preview': { params: { subject: SubjectRef; user_managed?: string }; result: PermissionPreview };
  'rbac.who_can': { params: { key: string; action: RbacAction; user_managed?: string }; result: WhoCan };
  'rbac.check': { params: { user_managed: string; tests?: PolicyTest[] }; result: PolicyCheck };
  /** Saves after the same check; refused with the failing test named. Needs a sudo session. */
  'rbac.save': {
    params: { user_managed: string; tests?: PolicyTest[]; policy_revision: number; tests_revision?: number };
    result: { policyRevision: number; check: PolicyCheck };
  };
}
