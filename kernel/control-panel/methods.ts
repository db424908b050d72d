// The control-panel's kRPC methods. Each one reads and writes KV through system-config with the
// caller's own session token (upstream's design doc §3.2; its code resolves every caller to root
// instead), so the kernel, not the panel, decides what a person may see: a plain user asking for the
// user list is refused by system-config's RBAC, whatever the page shows.
import type { ControlPanelMethods, NodeDisk, UserSummary, ZoneOverview } from '../api/control-panel.js';
import type { SchedulerSnapshot, UserSettings } from '../api/index.js';
import { SCHEDULER_SNAPSHOT_KEY, USERS_DIR, deviceInfoKey, userSettingsKey } from '../api/keys.js';
import { KrpcError, unauthenticated } from '../lib/errors.js';
import type { KrpcContext, KrpcMethods } from '../lib/krpc/server.js';
import { SystemConfigClient } from '../system-config/client.js';
import type { PolicyInspector } from '../lib/rbac/inspect.js';
import { permissionMethods } from './permissions.js';
import type { Logger } from '../lib/log.js';
import { peopleMethods } from './people.js';

/** What this node knows about itself (upstream reads the same from its etc/ files). */
export interface LocalIdentity {
  zone: ZoneOverview['zone'];
  device: ZoneOverview['device'];
}

export interface ControlPanelDeps {
  /** system-config's kRPC URL (loopback). */
  kvUrl: string;
  identity: LocalIdentity;
  /** system-config's enforcer and key names (same process), for the permission previews. */
  policy?: PolicyInspector;
  log: Logger;
}

type Params<M extends keyof ControlPanelMethods> = ControlPanelMethods[M]['params'];
type Result<M extends keyof ControlPanelMethods> = ControlPanelMethods[M]['result'];

const USER_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' } as const;
const DELETED = new Set(['deleted']);

function parseJson<T>(text: string | undefined, what: string): T {
  try {
    return JSON.parse(text ?? '') as T;
  } catch {
    throw new KrpcError('INTEGRITY', `${what} is not valid JSON`);
  }
}

export function controlPanelMethods(deps: ControlPanelDeps): KrpcMethods {
  /** system-config as the caller: their token, their RBAC. */
  const kvAs = (ctx: KrpcContext) => {
    if (!ctx.token) throw unauthenticated('sign in first: the control panel acts with your own session');
    return new SystemConfigClient(deps.kvUrl, ctx.token);
  };

  const summary = (s: UserSettings): UserSummary => ({ user_id: s.user_id, user_type: s.type, state: String(s.state ?? 'active') });

  async function zoneOverview(_p: Params<'zone.overview'>, ctx: KrpcContext): Promise<Result<'zone.overview'>> {
    const kv = kvAs(ctx);
    const entry = await kv.get(SCHEDULER_SNAPSHOT_KEY);
    const snap = entry ? parseJson<SchedulerSnapshot>(entry.value, 'the scheduler snapshot') : undefined;
    const nodes = await Promise.all(Object.entries(snap?.nodes ?? {}).map(async ([name, n]) => {
      const disk = await nodeDisk(kv, name);
      return { name, type: n.type, status: n.status, reason: n.reason, ...(disk && { disk }) };
    }));
    return {
      zone: deps.identity.zone,
      device: deps.identity.device,
      nodes,
      apps: Object.entries(snap?.placements ?? {}).filter(([, p]) => p.kind === 'app').map(([id, p]) => ({
        id, owner: p.owner, state: p.state, desired: p.desired,
        running: p.instances.filter((i) => i.target_state === 'started').length,
        ...(p.unplaced && { unplaced: p.unplaced }),
        instances: p.instances.map((i) => ({ node: i.node, reason: i.reason })),
      })),
      schedulerRev: snap?.rev ?? 0,
    };
  }

  /** The node's disk from its device info; left out when the caller may not read it or the node did not say. */
  async function nodeDisk(kv: SystemConfigClient, node: string): Promise<NodeDisk | undefined> {
    const info = await kv.get(deviceInfoKey(node)).catch(() => null);
    if (!info) return undefined;
    const { total_space: total, disk_usage: used } = parseJson<{ total_space?: unknown; disk_usage?: unknown }>(info.value, `the info of ${node}`);
    return typeof total === 'number' && typeof used === 'number' && total > 0 ? { total, used } : undefined;
  }

  async function userList(p: Params<'user.list'>, ctx: KrpcContext): Promise<Result<'user.list'>> {
    const kv = kvAs(ctx);
    const ids = await kv.list(USERS_DIR);
    const users: UserSummary[] = [];
    for (const id of ids) {
      const entry = await kv.get(userSettingsKey(id));
      if (!entry) continue;
      const u = summary(parseJson<UserSettings>(entry.value, `settings of ${id}`));
      if (p.include_deleted || !DELETED.has(u.state)) users.push(u);
    }
    return { users };
  }

  async function userGet(p: Params<'user.get'>, ctx: KrpcContext): Promise<Result<'user.get'>> {
    const entry = await kvAs(ctx).get(userSettingsKey(p.user_id));
    if (!entry) throw new KrpcError('NOT_FOUND', `there is no user "${p.user_id}"`);
    return summary(parseJson<UserSettings>(entry.value, `settings of ${p.user_id}`));
  }

  return {
    ...(deps.policy ? permissionMethods(deps.policy, kvAs) : {}),
    ...peopleMethods({ kvUrl: deps.kvUrl, log: deps.log }),
    'zone.overview': { params: { type: 'object', additionalProperties: false }, handler: zoneOverview },
    'user.list': { params: { type: 'object', properties: { include_deleted: { type: 'boolean' } }, additionalProperties: false }, handler: userList },
    'user.get': { params: { type: 'object', required: ['user_id'], properties: { user_id: USER_ID }, additionalProperties: false }, handler: userGet },
  };
}
