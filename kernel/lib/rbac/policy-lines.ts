// Parses casbin policy text (the bundled default and the zone's KV tail) into clean rule lines.
// The tail is ordinary KV text anyone with write access may edit, so a malformed line is dropped
// and reported instead of breaking every later permission check.

export type PolicyRule = { kind: 'p'; sub: string; obj: string; act: string; eft: 'allow' | 'deny' } | { kind: 'g'; member: string; group: string };

export interface ParsedPolicy {
  rules: PolicyRule[];
  /** Lines that are neither blank, a comment, nor a well-formed rule. */
  rejected: string[];
}

const FIELD = /^[^\s",]+$/;

export function parsePolicy(text: string): ParsedPolicy {
  const { rules, rejected } = parsePolicyLines(text);
  return { rules: rules.map((r) => r.rule), rejected };
}

/** As parsePolicy, with each rule's 1-based line number in `text`. */
export function parsePolicyLines(text: string): { rules: Array<{ rule: PolicyRule; lineNo: number }>; rejected: string[] } {
  const rules: Array<{ rule: PolicyRule; lineNo: number }> = [];
  const rejected: string[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    const ok = fields.slice(1).every((f) => FIELD.test(f));
    if (ok && fields[0] === 'p' && fields.length === 5 && (fields[4] === 'allow' || fields[4] === 'deny')) {
      rules.push({ rule: { kind: 'p', sub: fields[1], obj: fields[2], act: fields[3], eft: fields[4] }, lineNo: index + 1 });
    } else if (ok && fields[0] === 'g' && fields.length === 3) {
      rules.push({ rule: { kind: 'g', member: fields[1], group: fields[2] }, lineNo: index + 1 });
    } else {
      rejected.push(line);
    }
  }
  return { rules, rejected };
}

export function formatRule(rule: PolicyRule): string {
  return rule.kind === 'p' ? `p, ${rule.sub}, ${rule.obj}, ${rule.act}, ${rule.eft}` : `g, ${rule.member}, ${rule.group}`;
}

// ---- the zone's policy text: derived lines, then the owner's below a marker line ------------------
// The scheduler rewrites the derived part on every change of people, devices and apps and keeps
// everything below the marker byte for byte (kernel/scheduler/rbac.ts).

export const USER_MANAGED_MARKER = '# user-managed';

/** The text after the marker line of the stored policy ("" when there is none). */
export function userManagedSection(policy: string | undefined): string {
  if (!policy) return '';
  const lines = policy.split('\n');
  const at = lines.indexOf(USER_MANAGED_MARKER);
  return at < 0 ? '' : lines.slice(at + 1).join('\n');
}

/** The text before the marker line (all of it when there is no marker). */
export function derivedSection(policy: string | undefined): string {
  if (!policy) return '';
  const lines = policy.split('\n');
  const at = lines.indexOf(USER_MANAGED_MARKER);
  return (at < 0 ? lines : lines.slice(0, at)).join('\n');
}

/** The stored policy with its owner's section replaced. */
export const withUserManaged = (policy: string | undefined, userManaged: string) =>
  [derivedSection(policy), USER_MANAGED_MARKER, userManaged].join('\n');
