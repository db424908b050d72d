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
  const rules: PolicyRule[] = [];
  const rejected: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',').map((f) => f.trim());
    const ok = fields.slice(1).every((f) => FIELD.test(f));
    if (ok && fields[0] === 'p' && fields.length === 5 && (fields[4] === 'allow' || fields[4] === 'deny')) {
      rules.push({ kind: 'p', sub: fields[1], obj: fields[2], act: fields[3], eft: fields[4] });
    } else if (ok && fields[0] === 'g' && fields.length === 3) {
      rules.push({ kind: 'g', member: fields[1], group: fields[2] });
    } else {
      rejected.push(line);
    }
  }
  return { rules, rejected };
}

export function formatRule(rule: PolicyRule): string {
  return rule.kind === 'p' ? `p, ${rule.sub}, ${rule.obj}, ${rule.act}, ${rule.eft}` : `g, ${rule.member}, ${rule.group}`;
}
