// The scheduler's kRPC face on :3400 (/kapi/scheduler): what it decided and why, and a way to ask for a
// pass now. The decisions themselves live in KV (system/scheduler/snapshot); this reads them for callers
// who may read that key, so RBAC stays the single authority.
import type { FastifyInstance } from 'fastify';
import { createHttpServer, registerKrpc, type KrpcMethods } from '../lib/krpc/server.js';
import { KrpcError, unauthenticated } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import type { Principal } from '../system-config/principal.js';
import type { SchedulerHandle } from './loop.js';
import { SCHEDULER_SNAPSHOT_KEY, historyKey } from '../lib/zone-keys.js';
import { parseSnapshot } from './snapshot-store.js';
import { diffSnapshotsJson, snapshotJson } from './snapshot-view.js';

export const SCHEDULER_PATH = '/kapi/scheduler';

export interface SchedulerServiceOptions {
  host: string;
  port: number;
  log: Logger;
  scheduler: SchedulerHandle;
  /** Reads a KV value with the scheduler's own (kernel) token. */
  readKey(key: string): Promise<string | undefined>;
  authenticate(token: string): Promise<Principal>;
  enforce(principal: Principal, resource: string, action: 'read' | 'write'): Promise<boolean>;
}

const revParam = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

export async function startSchedulerService(opts: SchedulerServiceOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const callers = new WeakMap<object, Principal>();
  const mayRead = async (ctx: { request: object }, key: string) => {
    const principal = callers.get(ctx.request);
    if (!principal || !(await opts.enforce(principal, `obj://config/${key}`, 'read')))
      throw new KrpcError('PERMISSION_DENIED', `${principal?.userId ?? 'caller'} may not read ${key}`);
  };
  const snapshotAt = async (rev: number | undefined) => {
    const key = rev === undefined ? SCHEDULER_SNAPSHOT_KEY : historyKey(rev);
    const snap = parseSnapshot(await opts.readKey(key));
    if (!snap) throw new KrpcError('NOT_FOUND', rev === undefined ? 'the scheduler has not written a snapshot yet' : `snapshot ${rev} is not kept any more`);
    return snap;
  };

  const methods: KrpcMethods = {
    get_snapshot: {
      params: { type: 'object', properties: { rev: revParam }, additionalProperties: false },
      handler: async (p: { rev?: number }, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        return snapshotJson(await snapshotAt(p.rev));
      },
    },
    diff: {
      params: { type: 'object', properties: { from: revParam, to: revParam }, required: ['from'], additionalProperties: false },
      handler: async (p: { from: number; to?: number }, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        return diffSnapshotsJson(await snapshotAt(p.from), await snapshotAt(p.to));
      },
    },
    /** "Why is this app on the NAS?": every placement of one spec with its reason. */
    explain: {
      params: { type: 'object', properties: { spec_id: { type: 'string', minLength: 1, maxLength: 300 } }, required: ['spec_id'], additionalProperties: false },
      handler: async (p: { spec_id: string }, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        const snap = snapshotJson(await snapshotAt(undefined));
        const placements = snap.placements.filter((x) => x.spec_id === p.spec_id);
        const unplaced = snap.unplaced.filter((x) => x.spec_id === p.spec_id);
        if (placements.length === 0 && unplaced.length === 0) throw new KrpcError('NOT_FOUND', `the scheduler knows no spec "${p.spec_id}"`);
        return { rev: snap.rev, placements, unplaced };
      },
    },
    /** Upstream's name for "recompute now"; one pass derives placements, service info, RBAC and routes together. */
    refresh_rbac: {
      params: { type: 'object', additionalProperties: false },
      handler: async (_p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        return opts.scheduler.runOnce();
      },
    },
  };

  const app: FastifyInstance = createHttpServer({ log: opts.log });
  registerKrpc(app, SCHEDULER_PATH, methods, {
    log: opts.log,
    before: async (_method, ctx) => {
      if (!ctx.token) throw unauthenticated('this call needs a session token in sys[1]; log in first');
      callers.set(ctx.request, await opts.authenticate(ctx.token));
    },
  });
  await app.listen({ host: opts.host, port: opts.port });
  const port = (app.server.address() as { port: number }).port;
  opts.log.info('scheduler service listening', { host: opts.host, port });
  return { port, stop: () => app.close() };
}
