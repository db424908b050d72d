// The control panel's people methods (kernel/api/people.ts): upstream's user.* names and shapes, and
// per-app access as upstream's app availability policies. Each acts through system-config with the
// caller's own token, so the kernel decides: every write needs a sudo token of an admin (su_admin), or
// for a person's own password their own sudo token. A person with their RBAC lines, their app rules and
// their password is one exec_tx; a person switched off or removed has their sessions ended in the same
// transaction. Bad input is refused before anything is written.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppAvailabilityPolicy, PeopleMethods, PersonAppAccess, PersonType } from '../api/people.js';
import { appAvailabilityPolicyKey } from '../api/people.js';
import type { KvTxAction, RevisionCondition, SchedulerSnapshot, UserSettings } from '../api/index.js';
import {
  RBAC_POLICY_KEY, SCHEDULER_SNAPSHOT_KEY, SESSIONS_PREFIX, passwordKey, revokedSessionKey, sessionKey, userDocKey, userProfileKey, userSettingsKey,
} from '../api/keys.js';
import { evaluateAppAvailability, ownerDefaultPolicy, policyIsValid, withUserRule } from '../lib/app-availability.js';
import { KrpcError, isKrpcError, unauthenticated } from '../lib/errors.js';
import { decodeUnverified } from '../lib/identity/jwt.js';
import type { KrpcContext, KrpcMethods } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import { userRbacLines, withUserLines } from '../lib/rbac/user-lines.js';
import { SystemConfigClient } from '../system-config/client.js';

type Params<M extends keyof PeopleMethods> = PeopleMethods[M]['params'];
type Result<M extends keyof PeopleMethods> = PeopleMethods[M]['result'];

const USER_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' } as const;
const PERSON_TYPE = { enum: ['admin', 'user', 'limited'] } as const;
/** base64 of a SHA-256 digest: the BuckyOS verifier. */
const PASSWORD_HASH = { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' } as const;
const APP_INSTANCE_ID = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}@[a-z0-9][a-z0-9_.-]{0,63}$' } as const;
const SHOW_NAME = { type: 'string', minLength: 1, maxLength: 80, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
/** A session token outlives its revocation by at most this (verify-hub: 15 min + 60 s). */
const REVOCATION_TTL_S = 15 * 60 + 60;
const TX_ATTEMPTS = 8;

const objectOf = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', required, properties, additionalProperties: false }) as const;

function parseJson<T>(text: string | undefined, what: string): T {
  try {
    return JSON.parse(text ?? '') as T;
  } catch {
    throw new KrpcError('INTEGRITY', `${what} is not valid JSON`);
  }
}

export interface PeopleDeps {
  kvUrl: string;
  log: Logger;
  nowS?: () => number;
}

export function peopleMethods(deps: PeopleDeps): KrpcMethods {
  const nowS = deps.nowS ?? (() => Math.floor(Date.now() / 1000));
  const { log } = deps;

  /** system-config as the caller, and who the caller says they are (the kernel checks the token). */
  const caller = (ctx: KrpcContext) => {
    if (!ctx.token) throw unauthenticated('sign in first: the control panel acts with your own session');
    let sub = '';
    try {
      sub = String(decodeUnverified(ctx.token).payload.sub ?? '');
    } catch {
      throw unauthenticated('the session token is not a JWT; sign in again');
    }
    return { kv: new SystemConfigClient(deps.kvUrl, ctx.token), sub };
  };

  async function settingsOf(kv: SystemConfigClient, userId: string): Promise<{ settings: UserSettings; version: number }> {
    const entry = await kv.get(userSettingsKey(userId));
    if (!entry) throw new KrpcError('NOT_FOUND', `there is no person "${userId}" in this zone`);
    return { settings: parseJson<UserSettings>(entry.value, `settings of ${userId}`), version: entry.version };
  }

  const notRoot = (userId: string, what: string) => {
    if (userId === 'root') throw new KrpcError('FAILED_PRECONDITION', `root is the zone owner's key, not a person; it cannot ${what}`);
  };
  const notSelf = (userId: string, sub: string, what: string) => {
    if (userId === sub) throw new KrpcError('FAILED_PRECONDITION', `you cannot ${what} yourself; ask another admin`);
  };

  /** Installed apps, from the scheduler's snapshot (admins may read it; nobody lists other people's apps). */
  async function installedApps(kv: SystemConfigClient): Promise<{ appInstanceId: string; appId: string; owner: string; state: string }[]> {
    const entry = await kv.get(SCHEDULER_SNAPSHOT_KEY);
    const snap = entry ? parseJson<SchedulerSnapshot>(entry.value, 'the scheduler snapshot') : undefined;
    return Object.entries(snap?.placements ?? {}).filter(([, p]) => p.kind === 'app').map(([id, p]) => ({
      appInstanceId: id, appId: id.slice(0, id.lastIndexOf('@')), owner: p.owner, state: p.state,
    })).sort((a, b) => a.appInstanceId.localeCompare(b.appInstanceId));
  }

  async function policyOf(kv: SystemConfigClient, appInstanceId: string): Promise<{ policy: AppAvailabilityPolicy; version?: number; stored: unknown }> {
    const entry = await kv.get(appAvailabilityPolicyKey(appInstanceId));
    if (!entry) return { policy: ownerDefaultPolicy(appInstanceId), stored: undefined };
    const stored = parseJson<unknown>(entry.value, `the access rules of ${appInstanceId}`);
    // A damaged policy is replaced by a fresh one when written; reading it denies all but the owner.
    const policy = policyIsValid(stored, appInstanceId) ? stored : { ...ownerDefaultPolicy(appInstanceId), revision: 1 };
    return { policy, version: entry.version, stored };
  }

  /** One person's rule on each named app, as transaction actions with their revision conditions. */
  async function appRuleActions(kv: SystemConfigClient, userId: string, allow: Record<string, boolean>, by: string) {
    const known = new Set((await installedApps(kv)).map((a) => a.appInstanceId));
    for (const id of Object.keys(allow)) if (!known.has(id)) throw new KrpcError('NOT_FOUND', `there is no installed app "${id}"`);
    const actions: Record<string, KvTxAction> = {};
    const conditions: RevisionCondition[] = [];
    for (const [id, allowed] of Object.entries(allow)) {
      const { policy, version } = await policyOf(kv, id);
      const key = appAvailabilityPolicyKey(id);
      const next = withUserRule(policy, userId, allowed, by, nowS());
      actions[key] = { action: version === undefined ? 'create' : 'update', value: JSON.stringify(next) };
      if (version !== undefined) conditions.push({ key, revision: version });
    }
    return { actions, conditions };
  }

  /** Runs `build` and commits its transaction, again when a key it read moved meanwhile. */
  async function commit(
    kv: SystemConfigClient,
    build: () => Promise<{ actions: Record<string, KvTxAction>; conditions: RevisionCondition[] }>,
    /** Another refusal worth building again for (true: try again). */
    adjust: (e: unknown) => boolean = () => false,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const { actions, conditions } = await build();
      try {
        await kv.execTx(actions, undefined, conditions);
        return;
      } catch (e) {
        if (!(isKrpcError(e, 'VERSION_CONFLICT') || adjust(e)) || attempt >= TX_ATTEMPTS) throw e;
        // The scheduler rewrites the policy tail after each change of a person: let its passes settle.
        await sleep(25 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  }

  /** The policy tail with `userId`'s lines set, as an action and its condition. */
  async function rbacAction(kv: SystemConfigClient, userId: string, lines: string[]) {
    const entry = await kv.get(RBAC_POLICY_KEY);
    const value = withUserLines(entry?.value ?? '', userId, lines);
    return {
      action: { [RBAC_POLICY_KEY]: { action: entry ? 'update' : 'create', value } as KvTxAction },
      conditions: entry ? [{ key: RBAC_POLICY_KEY, revision: entry.version }] : [],
    };
  }

  /** Puts every live session of `userId` on the revocation list. */
  async function endSessionsActions(kv: SystemConfigClient, userId: string) {
    const actions: Record<string, KvTxAction> = {};
    const now = nowS();
    for (const name of await kv.list(SESSIONS_PREFIX)) {
      const session = Number(name);
      if (!Number.isSafeInteger(session)) continue;
      const entry = await kv.get(sessionKey(session));
      const record = entry ? parseJson<{ sub?: string; revoked?: boolean }>(entry.value, `session ${session}`) : undefined;
      if (!record || record.sub !== userId || record.revoked) continue;
      actions[sessionKey(session)] = { action: 'update', value: JSON.stringify({ ...record, revoked: true }) };
      actions[revokedSessionKey(session)] = { action: 'update', value: JSON.stringify({ exp: now + REVOCATION_TTL_S }) };
    }
    return actions;
  }

  async function userCreate(p: Params<'user.create'>, ctx: KrpcContext): Promise<Result<'user.create'>> {
    const { kv, sub } = caller(ctx);
    const reserved = describeReserved(p.user_id);
    if (reserved || p.user_id === 'root') throw new KrpcError('INVALID_PARAMS', `${reserved ?? '"root" is the zone owner'}; choose another name`);
    const type: PersonType = p.user_type ?? 'user';
    if (await kv.get(userSettingsKey(p.user_id))) throw new KrpcError('ALREADY_EXISTS', `"${p.user_id}" is already a person of this zone`);
    const settings: UserSettings = { user_id: p.user_id, type, state: 'active', res_pool_id: 'default', is_local: true };
    const showName = p.show_name ?? p.user_id;
    await commit(kv, async () => {
      const apps = p.apps === undefined ? {} : Object.fromEntries((await installedApps(kv)).map((a) => [a.appInstanceId, false]));
      for (const id of p.apps ?? []) {
        if (!(id in apps)) throw new KrpcError('NOT_FOUND', `there is no installed app "${id}"`);
        apps[id] = true;
      }
      const rules = await appRuleActions(kv, p.user_id, apps, sub);
      const rbac = await rbacAction(kv, p.user_id, userRbacLines({ id: p.user_id, type }));
      return {
        actions: {
          [userSettingsKey(p.user_id)]: { action: 'create', value: JSON.stringify(settings) },
          [userDocKey(p.user_id)]: { action: 'create', value: JSON.stringify({ id: `did:bns:${p.user_id}`, name: p.user_id, full_name: showName }) },
          [userProfileKey(p.user_id)]: { action: 'create', value: JSON.stringify({ name: p.user_id, full_name: showName, create_time: nowS() }) },
          [passwordKey(p.user_id)]: { action: 'create', value: p.password_hash },
          ...rbac.action,
          ...rules.actions,
        },
        conditions: [...rbac.conditions, ...rules.conditions],
      };
    });
    log.info('person added', { user: p.user_id, type, by: sub, apps: p.apps });
    return { ok: true, created: true, user_id: p.user_id, user_type: type, state: 'active' };
  }

  async function userUpdate(p: Params<'user.update'>, ctx: KrpcContext): Promise<Result<'user.update'>> {
    const { kv, sub } = caller(ctx);
    const userId = p.user_id ?? sub;
    await settingsOf(kv, userId);
    const entry = await kv.get(userProfileKey(userId));
    const profile = entry ? parseJson<Record<string, unknown>>(entry.value, `profile of ${userId}`) : { name: userId, create_time: nowS() };
    await kv.execTx({ [userProfileKey(userId)]: { action: entry ? 'update' : 'create', value: JSON.stringify({ ...profile, full_name: p.show_name }) } },
      undefined, entry ? [{ key: userProfileKey(userId), revision: entry.version }] : []);
    return { ok: true, user_id: userId };
  }

  async function userChangePassword(p: Params<'user.change_password'>, ctx: KrpcContext): Promise<Result<'user.change_password'>> {
    const { kv, sub } = caller(ctx);
    const userId = p.user_id ?? sub;
    notRoot(userId, 'have a password');
    const { settings } = await settingsOf(kv, userId);
    if (settings.state === 'deleted') throw new KrpcError('FAILED_PRECONDITION', `${userId} was removed; add them again instead`);
    await kv.execTx({ [passwordKey(userId)]: { action: 'update', value: p.new_password_hash } });
    log.info('password changed', { user: userId, by: sub });
    return { ok: true, user_id: userId };
  }

  async function changeSettings(ctx: KrpcContext, userId: string, change: (s: UserSettings) => UserSettings, opts: { endSessions: boolean; removePassword?: boolean }) {
    const { kv } = caller(ctx);
    // Nobody reads password verifiers, the panel neither: removal is tried, and left out when there was none.
    let removePassword = opts.removePassword === true;
    await commit(kv, async () => {
      const { settings, version } = await settingsOf(kv, userId);
      const next = change(settings);
      const rbac = await rbacAction(kv, userId, next.state === 'deleted' ? [] : userRbacLines({ id: userId, type: next.type }));
      const actions: Record<string, KvTxAction> = {
        [userSettingsKey(userId)]: { action: 'update', value: JSON.stringify(next) },
        ...rbac.action,
        ...(opts.endSessions ? await endSessionsActions(kv, userId) : {}),
      };
      if (removePassword) actions[passwordKey(userId)] = { action: 'remove' };
      return { actions, conditions: [{ key: userSettingsKey(userId), revision: version }, ...rbac.conditions] };
    }, (e) => {
      if (!removePassword || !isKrpcError(e, 'NOT_FOUND') || !e.message.includes(passwordKey(userId))) return false;
      removePassword = false;
      return true;
    });
  }

  async function userChangeState(p: Params<'user.change_state'>, ctx: KrpcContext): Promise<Result<'user.change_state'>> {
    const { sub } = caller(ctx);
    notRoot(p.user_id, 'be switched off');
    if (p.state !== 'active') notSelf(p.user_id, sub, 'switch off');
    await changeSettings(ctx, p.user_id, (s) => {
      if (s.state === 'deleted') throw new KrpcError('FAILED_PRECONDITION', `${p.user_id} was removed; add them again instead`);
      return { ...s, state: p.state };
    }, { endSessions: p.state !== 'active' });
    log.info('person state changed', { user: p.user_id, state: p.state, by: sub });
    return { ok: true, user_id: p.user_id, state: p.state };
  }

  async function userChangeType(p: Params<'user.change_type'>, ctx: KrpcContext): Promise<Result<'user.change_type'>> {
    const { sub } = caller(ctx);
    notRoot(p.user_id, 'change role');
    notSelf(p.user_id, sub, 'change the role of');
    await changeSettings(ctx, p.user_id, (s) => {
      if (s.type === 'root') throw new KrpcError('FAILED_PRECONDITION', 'the root user keeps its role');
      if (s.state === 'deleted') throw new KrpcError('FAILED_PRECONDITION', `${p.user_id} was removed; add them again instead`);
      return { ...s, type: p.user_type };
    }, { endSessions: false });
    log.info('person role changed', { user: p.user_id, type: p.user_type, by: sub });
    return { ok: true, user_id: p.user_id, user_type: p.user_type };
  }

  async function userDelete(p: Params<'user.delete'>, ctx: KrpcContext): Promise<Result<'user.delete'>> {
    const { sub } = caller(ctx);
    notRoot(p.user_id, 'be removed');
    notSelf(p.user_id, sub, 'remove');
    await changeSettings(ctx, p.user_id, (s) => {
      if (s.type === 'root') throw new KrpcError('FAILED_PRECONDITION', 'the root user cannot be removed');
      return { ...s, state: 'deleted' };
    }, { endSessions: true, removePassword: true });
    log.info('person removed', { user: p.user_id, by: sub });
    return { ok: true, user_id: p.user_id };
  }

  async function userApps(p: Params<'user.apps'>, ctx: KrpcContext): Promise<Result<'user.apps'>> {
    const { kv } = caller(ctx);
    const { settings } = await settingsOf(kv, p.user_id);
    const owners = new Map<string, UserSettings | undefined>();
    const apps: PersonAppAccess[] = [];
    for (const app of await installedApps(kv)) {
      if (!owners.has(app.owner)) owners.set(app.owner, (await kv.get(userSettingsKey(app.owner)).then((e) => (e ? parseJson<UserSettings>(e.value, `settings of ${app.owner}`) : undefined))));
      const { stored } = await policyOf(kv, app.appInstanceId);
      const d = evaluateAppAvailability({
        userId: p.user_id, user: settings, owner: owners.get(app.owner), policy: stored,
        app: { appId: app.appId, appInstanceId: app.appInstanceId, ownerUserId: app.owner, state: app.state },
      });
      apps.push({ app_instance_id: d.app_instance_id, app_id: d.app_id, owner_user_id: d.owner_user_id, allowed: d.allowed, reason: d.reason });
    }
    return { apps };
  }

  async function userSetApps(p: Params<'user.set_apps'>, ctx: KrpcContext): Promise<Result<'user.set_apps'>> {
    const { kv, sub } = caller(ctx);
    notRoot(p.user_id, 'be given app rules');
    const { settings } = await settingsOf(kv, p.user_id);
    if (settings.state === 'deleted') throw new KrpcError('FAILED_PRECONDITION', `${p.user_id} was removed; add them again instead`);
    await commit(kv, () => appRuleActions(kv, p.user_id, p.apps, sub));
    log.info('app access changed', { user: p.user_id, apps: p.apps, by: sub });
    return { ok: true, user_id: p.user_id };
  }

  async function availabilityGet(p: Params<'apps.availability.get'>, ctx: KrpcContext): Promise<Result<'apps.availability.get'>> {
    const { kv } = caller(ctx);
    return (await policyOf(kv, p.app_instance_id)).policy;
  }

  return {
    'user.create': {
      params: objectOf({ user_id: USER_ID, password_hash: PASSWORD_HASH, user_type: PERSON_TYPE, show_name: SHOW_NAME, apps: { type: 'array', maxItems: 256, uniqueItems: true, items: APP_INSTANCE_ID } }, ['user_id', 'password_hash']),
      handler: userCreate,
    },
    'user.update': { params: objectOf({ user_id: USER_ID, show_name: SHOW_NAME }, ['show_name']), handler: userUpdate },
    'user.delete': { params: objectOf({ user_id: USER_ID }, ['user_id']), handler: userDelete },
    'user.change_password': { params: objectOf({ user_id: USER_ID, new_password_hash: PASSWORD_HASH }, ['new_password_hash']), handler: userChangePassword },
    'user.change_state': {
      params: objectOf({ user_id: USER_ID, state: { type: 'string', pattern: '^(active|suspended(:[^\\u0000-\\u001f]{0,80})?)$' } }, ['user_id', 'state']),
      handler: userChangeState,
    },
    'user.change_type': { params: objectOf({ user_id: USER_ID, user_type: PERSON_TYPE }, ['user_id', 'user_type']), handler: userChangeType },
    'user.apps': { params: objectOf({ user_id: USER_ID }, ['user_id']), handler: userApps },
    'user.set_apps': {
      params: objectOf({ user_id: USER_ID, apps: { type: 'object', maxProperties: 256, propertyNames: APP_INSTANCE_ID, additionalProperties: { type: 'boolean' } } }, ['user_id', 'apps']),
      handler: userSetApps,
    },
    'apps.availability.get': { params: objectOf({ app_instance_id: APP_INSTANCE_ID }, ['app_instance_id']), handler: availabilityGet },
  } satisfies KrpcMethods;
}
