// The kRPC methods of system-config (spec 10 §3, plus sys_config_watch). Every call is
// authenticated by the `before` hook; every key is RBAC-checked before anything is read or written.
import { invalidParams, permissionDenied } from '../lib/errors.js';
import { krpcMethods, type KrpcContext, type KrpcMethods, type KrpcRouteOptions } from '../lib/krpc/server.js';
import { DUMP_PREFIXES } from '../api/keys.js';
import type {
  AppendParams, ExecTxParams, KeyParams, KeyValueParams, SetByJsonPathParams, SystemConfigMethods, WatchParams,
} from '../api/system-config.js';
import { normalizeKey, RESERVED_PREFIX } from '../lib/kv-keys.js';
import type { KvStore } from './store/types.js';
import { RBAC_POLICY_KEY, touchesTrust, type AccessControl } from './access.js';
import type { Principal } from './principal.js';
import { planWrites, type RevisionCondition, type TxAction, type WriteRequest } from './tx.js';
import type { WatchHub, WatchResult } from './watch.js';
import * as schema from './schema.js';

export interface MethodDeps {
  store: KvStore;
  access: AccessControl;
  watches: WatchHub;
  maxValueBytes: number;
}

const DUMP_APPS = new Set(['scheduler', 'node-daemon']);


export function systemConfigRoute(deps: MethodDeps): { methods: KrpcMethods; before: NonNullable<KrpcRouteOptions['before']> } {
  const { store, access, watches, maxValueBytes } = deps;
  const principals = new WeakMap<KrpcContext, Principal>();

  const who = (ctx: KrpcContext): Principal => {
    const p = principals.get(ctx);
    if (!p) throw new Error('system-config method ran without an authenticated principal');
    return p;
  };

  async function write(p: Principal, req: WriteRequest): Promise<null> {
    const written = [...req.actions.keys()];
    if (req.mainKey && !req.actions.has(req.mainKey.key)) written.push(req.mainKey.key);
    for (const key of written) await access.require(p, key, 'write');
    for (const c of req.conditions ?? []) await access.require(p, c.key, 'read');
    const guard = await access.checkPolicyWrite(req, maxValueBytes);
    const checked = guard.length > 0 ? { ...req, conditions: [...(req.conditions ?? []), ...guard] } : req;
    const revision = await store.transact((view) => planWrites(view, checked, maxValueBytes));
    if (written.some(touchesTrust)) await access.reload(revision);
    return null;
  }

  const single = (key: string, action: TxAction): WriteRequest => ({ actions: new Map([[normalizeKey(key), action]]) });

  const condition = (c: RevisionCondition): RevisionCondition => ({ key: normalizeKey(c.key), revision: c.revision });

  const methods = krpcMethods<SystemConfigMethods>()({
    sys_config_get: {
      params: schema.keyParams,
      async handler({ key }: KeyParams, ctx) {
        const k = normalizeKey(key);
        await access.require(who(ctx), k, 'read');
        const entry = store.get(k);
        return entry ? { value: entry.value, version: entry.revision } : null;
      },
    },
    sys_config_set: {
      params: schema.keyValueParams,
      handler: ({ key, value }: KeyValueParams, ctx) => write(who(ctx), single(key, { action: 'update', value })),
    },
    sys_config_create: {
      params: schema.keyValueParams,
      handler: ({ key, value }: KeyValueParams, ctx) => write(who(ctx), single(key, { action: 'create', value })),
    },
    sys_config_delete: {
      params: schema.keyParams,
      handler: ({ key }: KeyParams, ctx) => write(who(ctx), single(key, { action: 'remove' })),
    },
    sys_config_append: {
      params: schema.appendParams,
      handler: ({ key, append_value }: AppendParams, ctx) => write(who(ctx), single(key, { action: 'append', value: append_value })),
    },
    sys_config_set_by_json_path: {
      params: schema.setByJsonPathParams,
      handler({ key, json_path, value }: SetByJsonPathParams, ctx) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value);
        } catch {
          throw invalidParams('value must be JSON text (e.g. "\\"running\\"" for a string, "null" to remove the member)');
        }
        return write(who(ctx), single(key, { action: 'set_by_path', all_set: { [json_path]: parsed } }));
      },
    },
    sys_config_list: {
      params: schema.keyParams,
      async handler({ key }: KeyParams, ctx) {
        const prefix = normalizeKey(key, { prefix: true });
        await access.require(who(ctx), prefix, 'read', { prefix: true });
        const start = prefix === '' ? '' : `${prefix}/`;
        const names = new Set<string>();
        for (const k of store.keysWithPrefix(start)) names.add(k.slice(start.length).split('/')[0]);
        names.delete(RESERVED_PREFIX);
        return [...names].sort();
      },
    },
    sys_config_exec_tx: {
      params: schema.execTxParams,
      handler({ actions, main_key, conditions }: ExecTxParams, ctx) {
        const map = new Map<string, TxAction>();
        for (const [key, action] of Object.entries(actions)) {
          const k = normalizeKey(key);
          if (map.has(k)) throw invalidParams(`two actions name the same key ${k}; a transaction holds one action per key`);
          map.set(k, action);
        }
        return write(who(ctx), {
          actions: map,
          mainKey: main_key ? condition(main_key) : undefined,
          conditions: (conditions ?? []).map(condition),
        });
      },
    },
    dump_configs_for_scheduler: {
      params: schema.emptyParams,
      async handler(_params: unknown, ctx) {
        const p = who(ctx);
        if (!DUMP_APPS.has(p.appId))
          throw permissionDenied('only the scheduler and node-daemon may dump the zone configuration');
        // The dump is a read of every prefix in it, so RBAC decides like for any read: a node device,
        // or anyone signing for a user, may not read all of users/ and is refused.
        for (const prefix of DUMP_PREFIXES) {
          if (!(await access.can(p, prefix.slice(0, -1), 'read', { prefix: true })))
            throw permissionDenied(`${p.userId} (app ${p.appId}) may not read all of ${prefix}, so it may not dump the zone configuration`);
        }
        const out: Record<string, string> = {};
        for (const prefix of DUMP_PREFIXES) for (const k of store.keysWithPrefix(prefix)) out[k] = store.get(k)!.value;
        return out;
      },
    },
    sys_refresh_trust_keys: {
      params: schema.emptyParams,
      async handler(_params: unknown, ctx) {
        const p = who(ctx);
        // Those who read the policy itself (kernel, OODs, nodes, admins); users and apps have no use for it.
        if (!(await access.can(p, RBAC_POLICY_KEY, 'read')))
          throw permissionDenied(`${p.userId} (app ${p.appId}) may not refresh the zone's trust keys; only the kernel, nodes and admins may`);
        await access.refreshRequested();
        return null;
      },
    },
    sys_config_watch: {
      params: schema.watchParams,
      async handler({ key, revision, timeout_ms }: WatchParams, ctx): Promise<WatchResult> {
        const p = who(ctx);
        const prefix = normalizeKey(key, { prefix: true });
        // Stop waiting when the caller hangs up.
        const hangup = new AbortController();
        const socket = ctx.request.raw.socket;
        const onClose = () => hangup.abort();
        socket.once('close', onClose);
        try {
          return await watches.watch(prefix, revision, timeout_ms ?? schema.DEFAULT_WATCH_TIMEOUT_MS, (k) => access.can(p, k, 'read'), hangup.signal);
        } finally {
          socket.off('close', onClose);
        }
      },
    },
  });

  const before = async (_method: string, ctx: KrpcContext) => {
    principals.set(ctx, await access.authenticate(ctx.token));
  };
  return { methods, before };
}
