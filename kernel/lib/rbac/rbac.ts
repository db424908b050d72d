// The zone's access decisions: casbin with the BuckyOS model, the bundled default policy and the
// zone's dynamic tail (spec 60 §5). One Rbac is immutable; a policy change builds a new one.
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import { DEFAULT_RBAC_MODEL } from './model.js';
import { DEFAULT_RBAC_POLICY } from './policy.js';
import { keyGet3 } from './key-get3.js';
import { formatRule, parsePolicy, type PolicyRule } from './policy-lines.js';

export type PrincipalKind = 'user' | 'device' | 'service';

export interface RbacSubject {
  userId: string;
  appId: string;
  kind: PrincipalKind;
  sudo: boolean;
}

export interface Rbac {
  /**
   * Spec 60 §5.4: the app side `(appId, resource, action)` AND the user side `(userId, …)` must allow
   * (a sudo token checks `su_<userId>` on the user side). Ours: the user side is never skipped —
   * upstream skips it for appid "kernel", which would let a user logging in with appid "kernel", or a
   * plain node device, act as the kernel. Every real kernel caller is an OOD device, root or the owner,
   * whose user side allows anyway.
   */
  enforce(subject: RbacSubject, resource: string, action: string): Promise<boolean>;
  /** Groups a name is directly assigned to by `g` lines (default policy and tail). */
  groupsOf(name: string): string[];
  /** Tail lines that were not well-formed rules and were ignored. */
  readonly rejectedTailLines: readonly string[];
}

const DECISION_CACHE_LIMIT = 20_000;

export async function createRbac(tail: string): Promise<Rbac> {
  const base = parsePolicy(DEFAULT_RBAC_POLICY);
  if (base.rejected.length > 0) throw new Error(`bundled RBAC policy has malformed lines: ${base.rejected.join(' | ')}`);
  const extra = parsePolicy(tail);
  const rules: PolicyRule[] = [...base.rules, ...extra.rules];

  const enforcer: Enforcer = await newEnforcer(newModelFromString(DEFAULT_RBAC_MODEL), new StringAdapter(rules.map(formatRule).join('\n')));
  await enforcer.addFunction('keyGet3', (key: unknown, pattern: unknown, name: unknown) => keyGet3(String(key ?? ''), String(pattern ?? ''), String(name ?? '')));

  const groups = new Map<string, string[]>();
  for (const r of rules) if (r.kind === 'g') groups.set(r.member, [...(groups.get(r.member) ?? []), r.group]);

  const decisions = new Map<string, boolean>();
  const check = (sub: string, obj: string, act: string): boolean => {
    const cacheKey = `${sub}\u0000${obj}\u0000${act}`;
    const hit = decisions.get(cacheKey);
    if (hit !== undefined) return hit;
    let allowed: boolean;
    try {
      allowed = enforcer.enforceSync(sub, obj, act);
    } catch {
      allowed = false;
    }
    if (decisions.size >= DECISION_CACHE_LIMIT) decisions.clear();
    decisions.set(cacheKey, allowed);
    return allowed;
  };

  return {
    async enforce(subject, resource, action) {
      if (!subject.appId || !subject.userId) return false;
      if (!check(subject.appId, resource, action)) return false;
      return check(subject.sudo ? `su_${subject.userId}` : subject.userId, resource, action);
    },
    groupsOf: (name) => [...(groups.get(name) ?? [])],
    rejectedTailLines: extra.rejected,
  };
}
