import { expect, test } from 'vitest';
import type { Decision } from '../../../../kernel/api/permissions';
import { areaSentence, decidingLine, groupChanges, groupRows, lineSentence, memberSentence, parseSubjectKey, subjectKey } from './words';

const side = (allowed: boolean, line?: string) => ({ subject: 's', allowed, ...(line && { by: { line, source: 'default' as const, lineNo: 3 } }) });

test('areas read as words, {any} as "any"', () => {
  expect(areaSentence('users/bob/apps/{any}/settings')).toEqual({ key: 'permissions.area.userApp', values: { app: 'permissions.area.anyApp', user: 'bob' } });
  expect(areaSentence('users/{any}/settings').values).toEqual({ user: 'permissions.area.others' });
  expect(areaSentence('system/{any}/{any}').key).toBe('permissions.area.system');
  expect(areaSentence('weird/x').key).toBe('permissions.area.other');
});

test('the deciding line: the refusing side for a deny, the user side for an allow', () => {
  const deniedByApp: Decision = { allowed: false, app: side(false, 'p, system, obj://config/security/*, all, deny'), user: side(true, 'p, users, x, read, allow') };
  expect(decidingLine(deniedByApp)?.line).toContain('security');
  const allowed: Decision = { allowed: true, app: side(true, 'a'), user: side(true, 'u') };
  expect(decidingLine(allowed)?.line).toBe('u');
  expect(lineSentence({ allowed: false, app: side(true, 'a'), user: side(false) }).key).toBe('permissions.line.none');
});

test('subject keys round-trip', () => {
  for (const s of [{ kind: 'person', user: 'bob' }, { kind: 'person', user: 'alice', sudo: true }, { kind: 'app', app: 'notes', owner: 'alice' }, { kind: 'device', device: 'nas1' }] as const)
    expect(parseSubjectKey(subjectKey(s))).toEqual(s);
});

test('rows that read the same and get the same answers are one row, counts added, each deciding line kept', () => {
  const d = (allowed: boolean, line = 'u'): Decision => ({ allowed, app: side(true, 'a'), user: side(allowed, allowed ? line : undefined) });
  const deniedBy = (line: string): Decision => ({ allowed: false, app: side(true, 'a'), user: side(false, line) });
  const rows = groupRows([
    { area: 'security/a', keys: 2, example: 'security/a', read: d(false), write: d(false) },
    { area: 'security/b/{any}', keys: 3, example: 'security/b/x', read: deniedBy('p, users, obj://config/security/*, all, deny'), write: d(false) },
    { area: 'users/bob/x', keys: 1, example: 'users/bob/x', read: d(true), write: d(false) },
    { area: 'users/bob/y', keys: 1, example: 'users/bob/y', read: d(true, 'v'), write: d(false) },
  ], (a) => a.area.split('/')[0]);
  expect(rows.map((r) => [r.keys, r.areas.length, r.reads.length, r.writes.length])).toEqual([[5, 2, 2, 1], [2, 2, 2, 1]]);
});

test('gains that read the same for the same person are one line; su_ members read as words', () => {
  const dan = { kind: 'person', user: 'dan' } as const;
  const bob = { kind: 'person', user: 'bob' } as const;
  const lines = groupChanges([
    { subject: dan, action: 'read', area: 'users/alice/doc' },
    { subject: dan, action: 'read', area: 'users/alice/{any}' },
    { subject: dan, action: 'write', area: 'users/alice/doc' },
    { subject: bob, action: 'read', area: 'users/alice/doc' },
  ], (c) => c.area.split('/').slice(0, 2).join('/'));
  expect(lines.map((l) => [subjectKey(l.subject), l.action, l.areas.length])).toEqual([['person:dan', 'read', 2], ['person:dan', 'write', 1], ['person:bob', 'read', 1]]);
  expect(memberSentence('su_alice')).toEqual({ key: 'permissions.roles.sudoMember', values: { name: 'alice' } });
  expect(memberSentence('alice')).toBe('alice');
});
