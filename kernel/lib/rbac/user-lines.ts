// The RBAC lines of one user in the zone's tail (spec 60 §5.3), said once: the scheduler derives the
// tail from every user's settings, and the control panel writes a new person's lines in the same
// transaction that creates them, so they can sign in with their rights at once.
import { configResource, passwordKey, userDocKey, userSettingsKey } from '../../api/keys.js';
import { USER_MANAGED_MARKER } from './policy-lines.js';

export function userRbacLines(user: { id: string; type: string }): string[] {
  const u = user.id;
  if (user.type === 'admin') return [`g, ${u}, admin`, `g, su_${u}, su_admin`];
  // Ours: upstream gives su_<u> read|write on its own settings, where it keeps the password hash; but
  // settings also hold the user's type and state, so a user with sudo could make themselves an admin.
  // Here the verifier has its own key (security/verify-hub/passwords/<u>), which su_<u> may write
  // (change their own password), and settings stay read-only to them.
  if (user.type === 'user')
    return [`g, ${u}, users`, `g, su_${u}, su_users`,
      `p, su_${u}, ${configResource(userSettingsKey(u))}, read,allow`,
      `p, su_${u}, ${configResource(userDocKey(u))}, read|write,allow`,
      `p, su_${u}, ${configResource(passwordKey(u))}, write,allow`];
  if (user.type === 'limited') return [`g, ${u}, limited`];
  return [];
}

/** Every line userRbacLines could give `userId`, whatever their type: what a type change replaces. */
export const allUserRbacLines = (userId: string): Set<string> =>
  new Set(['admin', 'user', 'limited'].flatMap((type) => userRbacLines({ id: userId, type })));

/**
 * The stored policy with `userId`'s derived lines (above the user-managed marker) replaced by `lines`;
 * what the scheduler would write for them next, so it finds nothing to change.
 */
export function withUserLines(policy: string, userId: string, lines: string[]): string {
  const old = allUserRbacLines(userId);
  const all = policy === '' ? [] : policy.split('\n');
  const marker = all.indexOf(USER_MANAGED_MARKER);
  const derived = (marker < 0 ? all : all.slice(0, marker)).filter((l) => !old.has(l));
  const rest = marker < 0 ? [] : all.slice(marker);
  return [...derived, ...lines, ...rest].join('\n');
}
