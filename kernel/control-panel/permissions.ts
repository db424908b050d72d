// The control panel's permission previews (issue 10), answered by the zone's own enforcer: system-config
// lends its Rbac (the one it decides every call with) and the zone's key names; nothing here decides
// anything itself. The caller must be allowed to read system/rbac/policy — asked of system-config with
// the caller's own token — and a save goes through system-config with the caller's token too, so only
// a sudo session writes, and system-config refuses a change that breaks a policy test.
import { RBAC_POLICY_KEY } from '../api/keys.js';
import { RBAC_TESTS_KEY, type PermissionMethods, type PolicyCheck, type PolicyTest, type RoleSummary, type SubjectRef } from '../api/permissions.js';
import { KrpcError, invalidParams, isKrpcError } from '../lib/errors.js';
import type { KrpcContext, KrpcMethods } from '../lib/krpc/server.js';
import { normalizeKey } from '../lib/kv-keys.js';
import {
  checkPolicyTests, describeFailure, diffPolicies, parsePolicyTests, previewSubject, runPolicyTests, subjectsOf, whoCan, type PolicyInspector,
} from '../lib/rbac/inspect.js';
import { derivedSection, parsePolicy, userManagedSection, withUserManaged } from '../lib/rbac/policy-lines.js';
import { RBAC_ROLE_NAMES } from '../lib/rbac/policy.js';
import { reservedNameKind } from '../lib/rbac/reserved-names.js';
import type { Rbac } from '../lib/rbac/rbac.js';
import type { SystemConfigClient } from '../system-config/client.js';

type Params<M extends keyof PermissionMethods> = PermissionMethods[M]['params'];
type Result<M extends keyof PermissionMethods> = PermissionMethods[M]['result'];

const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$' } as const;
const SUBJECT = {
  type: 'object',
  required: ['kind'],
  properties: { kind: { enum: ['person', 'app', 'device'] }, user: NAME, sudo: { type: 'boolean' }, app: NAME, owner: NAME, device: NAME },
  additionalProperties: false,
} as const;
const USER_MANAGED = { type: 'string', maxLength: 256 * 1024 } as const;
const TESTS = { type: 'array', maxItems: 500, items: { type: 'object' } } as const;
const ACTION = { enum: ['read', 'write'] } as const;
const REVISION = { type: 'integer', minimum: 0 } as const;

function checkSubject(s: SubjectRef): SubjectRef {
  const missing = s.kind === 'person' ? !s.user : s.kind === 'app' ? !s.app || !s.owner : !s.device;
  if (missing) throw invalidParams(s.kind === 'person' ? 'a person needs "user"' : s.kind === 'app' ? 'an app needs "app" and "owner"' : 'a device needs "device"');
  return s;
}

function testsParam(tests: unknown): PolicyTest[] {
  try {
    return checkPolicyTests(tests);
  } catch (e) {
    throw invalidParams((e as Error).message);
  }
}

export function permissionMethods(policy: PolicyInspector, kvAs: (ctx: KrpcContext) => SystemConfigClient): KrpcMethods {
  /** The stored policy and tests, read with the caller's token: only those who may read the policy may preview it. */
  async function stored(ctx: KrpcContext) {
    const kv = kvAs(ctx);
    const entry = await kv.get(RBAC_POLICY_KEY);
    const tests = await kv.get(RBAC_TESTS_KEY);
    let parsed: PolicyTest[];
    try {
      parsed = parsePolicyTests(tests?.value);
    } catch (e) {
      throw new KrpcError('INTEGRITY', `${RBAC_TESTS_KEY} is not valid: ${(e as Error).message}`);
    }
    return { kv, policy: entry?.value ?? '', policyRevision: entry?.version ?? 0, tests: parsed, testsRevision: tests?.version ?? 0 };
  }

  const rbacFor = (userManaged: string | undefined): Promise<Rbac> | Rbac => (userManaged === undefined ? policy.current() : policy.candidate(userManaged));

  async function check(ctx: KrpcContext, userManaged: string, tests: PolicyTest[] | undefined): Promise<PolicyCheck> {
    const s = await stored(ctx);
    const candidate = await policy.candidate(userManaged);
    const keys = policy.keys();
    const diff = diffPolicies(policy.current(), candidate, subjectsOf(keys), keys);
    const results = runPolicyTests(candidate, tests ?? s.tests);
    const rejected = parsePolicy(userManaged).rejected;
    return { rejected, diff, tests: results, ok: rejected.length === 0 && results.every((r) => r.passed) };
  }

  function roles(rbac: Rbac): RoleSummary[] {
    const members = new Map<string, string[]>();
    for (const { rule } of rbac.rules) {
      if (rule.kind !== 'g') continue;
      members.set(rule.group, [...(members.get(rule.group) ?? []), rule.member]);
    }
    // A rule written for one person, app, device or kernel id (`p, dan, …`, `p, control-panel, …`) gives
    // that subject rights; it makes no role.
    const named = new Set(subjectsOf(policy.keys()).map((s) => (s.kind === 'person' ? s.user : s.kind === 'app' ? s.app : s.device)));
    const isRole = (sub: string) => !named.has(sub) && (reservedNameKind(sub) ?? 'role') === 'role';
    for (const { rule } of rbac.rules) if (rule.kind === 'p' && !members.has(rule.sub) && isRole(rule.sub)) members.set(rule.sub, []);
    return [...members.entries()]
      .map(([role, list]) => ({ role, builtin: RBAC_ROLE_NAMES.has(role), members: [...new Set(list)].sort() }))
      .sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.role.localeCompare(b.role));
  }

  return {
    'rbac.state': {
      params: { type: 'object', additionalProperties: false },
      async handler(_p: Params<'rbac.state'>, ctx): Promise<Result<'rbac.state'>> {
        const s = await stored(ctx);
        return {
          derived: derivedSection(s.policy), userManaged: userManagedSection(s.policy), tests: s.tests,
          roles: roles(policy.current()), subjects: subjectsOf(policy.keys()), policyRevision: s.policyRevision, testsRevision: s.testsRevision,
        };
      },
    },
    'rbac.preview': {
      params: { type: 'object', required: ['subject'], properties: { subject: SUBJECT, user_managed: USER_MANAGED }, additionalProperties: false },
      async handler(p: Params<'rbac.preview'>, ctx): Promise<Result<'rbac.preview'>> {
        const s = await stored(ctx);
        return previewSubject(await rbacFor(p.user_managed), checkSubject(p.subject), policy.keys(), s.policyRevision);
      },
    },
    'rbac.who_can': {
      params: { type: 'object', required: ['key', 'action'], properties: { key: { type: 'string', minLength: 1, maxLength: 1024 }, action: ACTION, user_managed: USER_MANAGED }, additionalProperties: false },
      async handler(p: Params<'rbac.who_can'>, ctx): Promise<Result<'rbac.who_can'>> {
        await stored(ctx);
        const key = normalizeKey(p.key);
        return whoCan(await rbacFor(p.user_managed), subjectsOf(policy.keys()), key, p.action);
      },
    },
    'rbac.check': {
      params: { type: 'object', required: ['user_managed'], properties: { user_managed: USER_MANAGED, tests: TESTS }, additionalProperties: false },
      handler: (p: Params<'rbac.check'>, ctx): Promise<Result<'rbac.check'>> => check(ctx, p.user_managed, p.tests && testsParam(p.tests)),
    },
    'rbac.save': {
      params: {
        type: 'object', required: ['user_managed', 'policy_revision'],
        properties: { user_managed: USER_MANAGED, tests: TESTS, policy_revision: REVISION, tests_revision: REVISION }, additionalProperties: false,
      },
      async handler(p: Params<'rbac.save'>, ctx): Promise<Result<'rbac.save'>> {
        const tests = p.tests && testsParam(p.tests);
        const result = await check(ctx, p.user_managed, tests);
        if (result.rejected.length > 0) throw invalidParams(`these lines are not rules and would be ignored: ${result.rejected.slice(0, 3).join(' | ')}`);
        const failed = result.tests.filter((r) => !r.passed);
        if (failed.length > 0) throw new KrpcError('FAILED_PRECONDITION', `${describeFailure(failed[0])}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}`);
        const s = await stored(ctx);
        const actions: Record<string, { action: 'update'; value: string }> = {
          [RBAC_POLICY_KEY]: { action: 'update', value: withUserManaged(s.policy, p.user_managed) },
        };
        if (tests) actions[RBAC_TESTS_KEY] = { action: 'update', value: `${JSON.stringify({ tests }, null, 2)}\n` };
        const conditions = [{ key: RBAC_POLICY_KEY, revision: p.policy_revision }];
        if (tests && p.tests_revision !== undefined) conditions.push({ key: RBAC_TESTS_KEY, revision: p.tests_revision });
        try {
          await s.kv.execTx(actions, undefined, conditions);
        } catch (e) {
          if (isKrpcError(e, 'PERMISSION_DENIED'))
            throw new KrpcError('PERMISSION_DENIED', 'changing permissions needs the sudo step: confirm your password, then save again');
          throw e;
        }
        const after = await s.kv.get(RBAC_POLICY_KEY);
        return { policyRevision: after?.version ?? 0, check: result };
      },
    },
  };
}
