// Decisions, areas and subjects of the permission previews in the owner's words. Pure (unit-tested).
import type { Decision, PolicyLineRef, SubjectRef } from '../../../../kernel/api/permissions';
import type { Sentence } from '../scheduler/reasons';

export const ANY = '{any}';

export function subjectSentence(s: SubjectRef): Sentence {
  switch (s.kind) {
    case 'person': return { key: s.sudo ? 'permissions.whatCan.personSudo' : 'permissions.whatCan.person', values: { name: s.user } };
    case 'app': return { key: 'permissions.whatCan.app', values: { name: s.app, owner: s.owner } };
    case 'device': return { key: 'permissions.whatCan.device', values: { name: s.device } };
  }
}

export const subjectKey = (s: SubjectRef) => (s.kind === 'person' ? `${s.sudo ? 'person-sudo' : 'person'}:${s.user}` : s.kind === 'app' ? `app:${s.app}@${s.owner}` : `device:${s.device}`);

export function parseSubjectKey(key: string): SubjectRef | undefined {
  const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'person') return { kind, user: rest };
  if (kind === 'person-sudo') return { kind: 'person', user: rest, sudo: true };
  if (kind === 'device') return { kind, device: rest };
  if (kind === 'app') {
    const at = rest.lastIndexOf('@');
    return at > 0 ? { kind, app: rest.slice(0, at), owner: rest.slice(at + 1) } : undefined;
  }
  return undefined;
}

/** An area (`users/bob/apps/{any}/settings`) as words; `{any}` becomes "any". */
export function areaSentence(area: string): Sentence {
  const seg = area.split('/');
  const name = (s: string | undefined, any: string) => (s === ANY || s === undefined ? any : s);
  if (seg[0] === 'users' && seg.length >= 3) {
    const user = name(seg[1], 'permissions.area.others');
    if (seg[2] === 'apps' && seg.length >= 4) return { key: 'permissions.area.userApp', values: { app: name(seg[3], 'permissions.area.anyApp'), user } };
    if (seg[2] === 'settings') return { key: 'permissions.area.userSettings', values: { user } };
    if (seg[2] === 'doc') return { key: 'permissions.area.userDoc', values: { user } };
    if (seg[2] === 'profile') return { key: 'permissions.area.userProfile', values: { user } };
    return { key: 'permissions.area.userAny', values: { user } };
  }
  const top = ['boot', 'system', 'security', 'services', 'nodes', 'devices', 'users', 'repo'].includes(seg[0]) ? seg[0] : 'other';
  return { key: `permissions.area.${top}` };
}

/** The line to show for a decision: the refusing side's for a deny, the user side's for an allow. */
export function decidingLine(d: Decision): PolicyLineRef | undefined {
  if (!d.allowed) return !d.app.allowed ? d.app.by : d.user.by;
  return d.user.by ?? d.app.by;
}

export function lineSentence(d: Decision): Sentence {
  const by = decidingLine(d);
  if (!by) return { key: 'permissions.line.none' };
  return { key: `permissions.line.${by.source}`, values: { lineNo: by.lineNo, line: by.line } };
}

/**
 * Areas that read the same and get the same answers shown as one row, with every distinct deciding
 * line kept for its details: the kernel's areas are exact, and finer than a person needs to see
 * (three rows all called "Passwords and keys", each "not allowed", would only puzzle).
 */
export function groupRows<A extends { area: string; keys: number; example: string; read: Decision; write: Decision }>(areas: readonly A[], words: (a: A) => string): Array<A & { areas: string[]; reads: Decision[]; writes: Decision[] }> {
  const byText = new Map<string, A & { areas: string[]; reads: Decision[]; writes: Decision[] }>();
  const add = (list: Decision[], d: Decision) => { if (!list.some((x) => decidingLine(x)?.line === decidingLine(d)?.line)) list.push(d); };
  for (const a of areas) {
    const id = [words(a), a.read.allowed, a.write.allowed].join('\u0000');
    const hit = byText.get(id);
    if (hit) {
      hit.keys += a.keys;
      hit.areas.push(a.area);
      add(hit.reads, a.read);
      add(hit.writes, a.write);
    } else byText.set(id, { ...a, areas: [a.area], reads: [a.read], writes: [a.write] });
  }
  return [...byText.values()];
}

/**
 * Gains or losses that read the same (same subject, same action, same words for the area) as one line:
 * the kernel reports exact areas, and two of them may both be "Data of alice".
 */
export function groupChanges<C extends { subject: SubjectRef; action: string; area: string }>(changes: readonly C[], words: (c: C) => string): Array<C & { areas: string[] }> {
  const byText = new Map<string, C & { areas: string[] }>();
  for (const c of changes) {
    const id = [subjectKey(c.subject), c.action, words(c)].join('\u0000');
    const hit = byText.get(id);
    if (hit) hit.areas.push(c.area);
    else byText.set(id, { ...c, areas: [c.area] });
  }
  return [...byText.values()];
}

/** A role member as people read it: `su_alice` is alice after confirming her password. */
export function memberSentence(member: string): Sentence | string {
  return member.startsWith('su_') && member.length > 3 ? { key: 'permissions.roles.sudoMember', values: { name: member.slice(3) } } : member;
}
