// The People screen's state: who is in the home cloud, which apps each may use, and the owner's
// intents. Reads use the session; every change runs under sudo (stores/sudo.ts), because the kernel
// accepts changes to who may do what only from an admin's sudo token.
import { create } from 'zustand';
import type { PersonAppAccess, PersonType, UserSummary } from '../../../../kernel/api/index';
import { loadOwnerKit } from '../../api/owner-kit';
import { useSession } from '../../stores/session';
import { withSudo } from '../../stores/sudo';

export interface ZoneApp {
  /** app_instance_id: `<installation_id>@<owner>` */
  id: string;
  name: string;
  owner: string;
}

export interface NewPerson {
  name: string;
  password: string;
  type: PersonType;
  /** app ids this person may use; the others are closed to them */
  apps: string[];
}

export interface PeopleState {
  loading: boolean;
  /** Why the list could not be shown (a plain user is refused by the kernel). */
  error?: unknown;
  people: UserSummary[];
  apps: ZoneApp[];
  /** Per person: every app and whether they may use it. */
  access: Record<string, PersonAppAccess[] | undefined>;
  load(): Promise<void>;
  loadAccess(user: string): Promise<PersonAppAccess[]>;
  add(p: NewPerson): Promise<void>;
  setApps(user: string, allow: Record<string, boolean>): Promise<void>;
  resetPassword(user: string, password: string): Promise<void>;
  setActive(user: string, active: boolean): Promise<void>;
  remove(user: string): Promise<void>;
}

/** The user id a name becomes: lower case, spaces to dots (the kernel allows a-z 0-9 _ . -). */
export const userIdOf = (name: string) => name.trim().toLowerCase().replace(/\s+/g, '.');

const appName = (id: string) => id.slice(0, id.lastIndexOf('@'));
const byName = (a: UserSummary, b: UserSummary) => a.user_id.localeCompare(b.user_id);

export const usePeople = create<PeopleState>()((set, get) => {
  const session = () => useSession.getState();

  const hash = async (user: string, password: string) => (await loadOwnerKit()).hashPassword(password, user);

  return {
    loading: false,
    people: [],
    apps: [],
    access: {},

    async load() {
      set({ loading: true, error: undefined });
      try {
        const [{ users }, overview] = await Promise.all([
          session().call('control-panel', 'user.list', {}),
          session().call('control-panel', 'zone.overview', {}),
        ]);
        // root is the owner's key, not a person who signs in.
        set({
          people: users.filter((u) => u.user_type !== 'root').sort(byName),
          apps: overview.apps.map((a) => ({ id: a.id, name: appName(a.id), owner: a.owner })).sort((a, b) => a.name.localeCompare(b.name)),
          loading: false,
        });
      } catch (e) {
        set({ error: e, loading: false });
      }
    },

    async loadAccess(user) {
      const { apps } = await session().call('control-panel', 'user.apps', { user_id: user });
      set({ access: { ...get().access, [user]: apps } });
      return apps;
    },

    async add(p) {
      const user = userIdOf(p.name);
      const password_hash = await hash(user, p.password);
      await withSudo((call) => call('control-panel', 'user.create', { user_id: user, password_hash, user_type: p.type, show_name: p.name.trim(), apps: p.apps }));
      await get().load();
    },

    async setApps(user, allow) {
      await withSudo((call) => call('control-panel', 'user.set_apps', { user_id: user, apps: allow }));
      await get().loadAccess(user);
    },

    async resetPassword(user, password) {
      const new_password_hash = await hash(user, password);
      await withSudo((call) => call('control-panel', 'user.change_password', { user_id: user, new_password_hash }));
    },

    async setActive(user, active) {
      await withSudo((call) => call('control-panel', 'user.change_state', { user_id: user, state: active ? 'active' : 'suspended' }));
      await get().load();
    },

    async remove(user) {
      await withSudo((call) => call('control-panel', 'user.delete', { user_id: user }));
      const { [user]: _gone, ...access } = get().access;
      set({ access });
      await get().load();
    },
  };
});
