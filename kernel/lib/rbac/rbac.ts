// The zone's access decisions: casbin with the BuckyOS model, the bundled default policy and the
// zone's dynamic tail (spec 60 §5). One Rbac is immutable; a policy change builds a new one.
import { newEnforcer, newModelFromString, StringAdapter, type Enforcer } from 'casbin';
import { DEFAULT_RBAC_MODEL } from './model.js';
import { DEFAULT_RBAC_POLICY } from './policy.js';
import { keyGet3 } from './key-get3.js';
import { formatRule, parsePolicyLines, type PolicyRule } from './policy-lines.js';
import type { Decision, PolicyLineRef, SideDecision } from '../../api/permissions.js';

import type { PrincipalKind } from '../../api/verify-hub.js';

export type { PrincipalKind };

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
  /**
   * The same decision as enforce, with the policy line that decided each side (casbin's own
   * explanation from this enforcer: with the priority effect, the first matching line in policy order).
   */
  explain(subject: Pick<RbacSubject, 'userId' | 'appId' | 'sudo'>, resource: string, action: string): Decision;
  /** One side of explain: what casbin decides for the casbin subject `sub` alone. */
  explainSide(sub: string, resource: string, action: string): SideDecision;
  /** Groups a name is directly assigned to by `g` lines (default policy and tail). */
  groupsOf(name: string): string[];
  /** Every group a name reaches through `g` lines, nearest first. */
  allGroupsOf(name: string): string[];
  /** Every `p` and `g` rule in force, in policy order, with where it is written. */
  readonly rules: ReadonlyArray<{ rule: PolicyRule; ref: PolicyLineRef }>;
  /** Tail lines that were not well-formed rules and were ignored. */
  readonly rejectedTailLines: readonly string[];
}

export interface RbacOptions {
  /** Lines the caller adds before the tail (system-config: `g, <its device>, ood`), shown as "implicit". */
  implicit?: string;
}

const DECISION_CACHE_LIMIT = 20_000;

export async function createRbac(tail: string, opts: RbacOptions = {}): Promise<Rbac> {
  const base = parsePolicyLines(DEFAULT_RBAC_POLICY);
  if (base.rejected.length > 0) throw new Error(`bundled RBAC policy has malformed lines: ${base.rejected.join(' | ')}`);
  const implicit = parsePolicyLines(opts.implicit ?? '');
  const extra = parsePolicyLines(tail);
  const located = [
    ...base.rules.map(({ rule, lineNo }) => ({ rule, ref: { line: formatRule(rule), source: 'default' as const, lineNo } })),
    ...implicit.rules.map(({ rule, lineNo }) => ({ rule, ref: { line: formatRule(rule), source: 'implicit' as const, lineNo } })),
    ...extra.rules.map(({ rule, lineNo }) => ({ rule, ref: { line: formatRule(rule), source: 'zone' as const, lineNo } })),
  ];
  const rules: PolicyRule[] = located.map((l) => l.rule);
  const refOf = new Map<string, PolicyLineRef>();
  for (const l of located) if (!refOf.has(l.ref.line)) refOf.set(l.ref.line, l.ref);

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

  const explanations = new Map<string, SideDecision>();
  const explainSide = (sub: string, obj: string, act: string): SideDecision => {
    const cacheKey = `${sub}\u0000${obj}\u0000${act}`;
    const hit = explanations.get(cacheKey);
    if (hit) return hit;
    let side: SideDecision;
    try {
      const [allowed, fields] = enforcer.enforceExSync(sub, obj, act);
      const by = fields.length === 4 ? refOf.get(formatRule({ kind: 'p', sub: fields[0], obj: fields[1], act: fields[2], eft: fields[3] === 'deny' ? 'deny' : 'allow' })) : undefined;
      side = { subject: sub, allowed, ...(by && { by }) };
    } catch {
      side = { subject: sub, allowed: false };
    }
    if (explanations.size >= DECISION_CACHE_LIMIT) explanations.clear();
    explanations.set(cacheKey, side);
    return side;
  };

  const allGroupsOf = (name: string): string[] => {
    const seen: string[] = [];
    const queue = [...(groups.get(name) ?? [])];
    while (queue.length > 0) {
      const g = queue.shift()!;
      if (g === name || seen.includes(g)) continue;
      seen.push(g);
      queue.push(...(groups.get(g) ?? []));
    }
    return seen;
  };

  return {
    async enforce(subject, resource, action) {
      if (!subject.appId || !subject.userId) return false;
      if (!check(subject.appId, resource, action)) return false;
      return check(subject.sudo ? `su_${subject.userId}` : subject.userId, resource, action);
    },
    explain(subject, resource, action) {
      const userSub = subject.sudo ? `su_${subject.userId}` : subject.userId;
      if (!subject.appId || !subject.userId) return { allowed: false, app: { subject: subject.appId, allowed: false }, user: { subject: userSub, allowed: false } };
      const app = explainSide(subject.appId, resource, action);
      const user = explainSide(userSub, resource, action);
      return { allowed: app.allowed && user.allowed, app, user };
    },
    explainSide,
    groupsOf: (name) => [...(groups.get(name) ?? [])],
    allGroupsOf,
    rules: located,
    rejectedTailLines: extra.rejected,
  };
}
