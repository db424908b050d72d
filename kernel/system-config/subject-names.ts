// One name, one subject. RBAC matches a subject by name alone, so a device, a user and an app that
// share a name share each other's rights (a device called "notes" puts app notes in group node). The
// keys that bring a subject into being are checked when they are first written, whoever writes them
// (enrolment, app install, a hand-made KV write): a new name may not be taken by a subject of another
// kind, nor be a role, a kernel id or a su_ name. Existing keys are left alone (updates, re-enrolment).
import { USERS_DIR, deviceDocKey, deviceInfoKey, userDocKey, userSettingsKey } from '../api/keys.js';
import { KrpcError } from '../lib/errors.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import type { KvView } from './store/types.js';

type SubjectKind = 'device' | 'user' | 'app';

const SUBJECT_KEYS: ReadonlyArray<[RegExp, SubjectKind]> = [
  [/^devices\/([^/]+)\/doc$/, 'device'],
  [/^users\/([^/]+)\/(?:settings|doc)$/, 'user'],
  [/^users\/[^/]+\/apps\/([^/]+)\/spec$/, 'app'],
];

/** The subject a key brings into being, if any. */
function subjectOf(key: string): { kind: SubjectKind; name: string } | undefined {
  for (const [re, kind] of SUBJECT_KEYS) {
    const m = re.exec(key);
    if (m) return { kind, name: m[1] };
  }
  return undefined;
}

const APP_SPEC = /^users\/[^/]+\/apps\/([^/]+)\/spec$/;

/** Which kinds of subject already hold `name` in the store. */
function holders(view: KvView, name: string, asking: SubjectKind): SubjectKind[] {
  const found: SubjectKind[] = [];
  if (asking !== 'device' && (view.get(deviceDocKey(name)) || view.get(deviceInfoKey(name)))) found.push('device');
  if (asking !== 'user' && (view.get(userSettingsKey(name)) || view.get(userDocKey(name)))) found.push('user');
  if (asking !== 'app' && view.keysWithPrefix(`${USERS_DIR}/`).some((k) => APP_SPEC.exec(k)?.[1] === name)) found.push('app');
  return found;
}

const article: Record<SubjectKind, string> = { device: 'a device', user: 'a user', app: 'an app' };

/**
 * Throws when a write of `keys` (the keys a transaction creates, with their new values) would give a
 * name to a second kind of subject or to a reserved name. `users/root/*` is the zone's root user.
 */
export function checkNewSubjects(view: KvView, created: string[]): void {
  const claims = new Map<string, SubjectKind>();
  for (const key of created) {
    const subject = subjectOf(key);
    if (!subject) continue;
    const { kind, name } = subject;
    if (!(kind === 'user' && name === 'root')) {
      const reserved = describeReserved(name);
      if (reserved) throw new KrpcError('INVALID_PARAMS', `${reserved}; ${article[kind]} needs another name`);
    }
    const other = claims.get(name);
    if (other !== undefined && other !== kind)
      throw new KrpcError('ALREADY_EXISTS', `this transaction names both ${article[other]} and ${article[kind]} "${name}"; a name belongs to one subject`);
    claims.set(name, kind);
    const taken = holders(view, name, kind);
    if (taken.length > 0)
      throw new KrpcError('ALREADY_EXISTS', `"${name}" is already ${article[taken[0]]} of this zone; ${article[kind]} needs a name of its own`);
  }
}
