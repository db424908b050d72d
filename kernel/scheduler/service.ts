// The scheduler's kRPC face on :3400 (/kapi/scheduler): what it decided and why, and a way to ask for a
// pass now. The decisions themselves live in KV (system/scheduler/snapshot); this reads them for callers
// who may read that key, so RBAC stays the single authority.
import type { FastifyInstance } from 'fastify';
import { createHttpServer, krpcMethods, registerKrpc } from '../lib/krpc/server.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { SchedulerMethods } from '../api/scheduler.js';
import { KrpcError, unauthenticated } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { startSchedulingLoop, type SchedulerHandle, type SchedulerOptions } from './loop.js';
import { SCHEDULER_SNAPSHOT_KEY, configResource, schedulerHistoryKey as historyKey } from '../api/keys.js';
import { parseSnapshot } from './snapshot-store.js';
import { diffSnapshotsJson, diffStep, inputChanges, snapshotJson } from './snapshot-view.js';
import { placementMatrix, whyNot } from './why-not.js';

export const SCHEDULER_PATH = KAPI_PATHS.scheduler;

/** A caller as system-config authenticated it; the scheduler only names it in refusals. */
export interface SchedulerCaller {
  userId: string;
}

export interface SchedulerServiceOptions<P extends SchedulerCaller = SchedulerCaller> {
  host: string;
  port: number;
  log: Logger;
  /** The loop's options; its log is the service's. */
  loop: Omit<SchedulerOptions, 'log'>;
  /** Reads a KV value with the scheduler's own (kernel) token. */
  readKey(key: string): Promise<string | undefined>;
  /** The revisions kept in the snapshot history, any order. */
  keptRevisions(): Promise<number[]>;
  authenticate(token: string): Promise<P>;
  enforce(principal: P, resource: string, action: 'read' | 'write'): Promise<boolean>;
}

const revParam = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/** The scheduler: its loop (placements, service info, RBAC, routes into KV) and its kRPC face. */
export async function startScheduler<P extends SchedulerCaller>(opts: SchedulerServiceOptions<P>): Promise<SchedulerHandle & { port: number }> {
  const scheduler = startSchedulingLoop({ ...opts.loop, log: opts.log });
  try {
    const face = await startFace(opts, scheduler);
    return { port: face.port, runOnce: () => scheduler.runOnce(), stop: async () => { await face.stop(); await scheduler.stop(); } };
  } catch (e) {
    await scheduler.stop();
    throw e;
  }
}

async function startFace<P extends SchedulerCaller>(opts: SchedulerServiceOptions<P>, scheduler: SchedulerHandle): Promise<{ port: number; stop(): Promise<void> }> {
  const callers = new WeakMap<object, P>();
  const may = async (ctx: { request: object }, key: string, action: 'read' | 'write') => {
    const principal = callers.get(ctx.request);
    if (!principal || !(await opts.enforce(principal, configResource(key), action)))
      throw new KrpcError('PERMISSION_DENIED', `${principal?.userId ?? 'caller'} may not ${action} ${key}`);
  };
  const mayRead = (ctx: { request: object }, key: string) => may(ctx, key, 'read');
  const snapshotAt = async (rev: number | undefined) => {
    const key = rev === undefined ? SCHEDULER_SNAPSHOT_KEY : historyKey(rev);
    const snap = parseSnapshot(await opts.readKey(key));
    if (snap) return snap;
    if (rev === undefined) throw new KrpcError('NOT_FOUND', 'the scheduler has not written a snapshot yet; wait a moment after boot and try again');
    const kept = (await opts.keptRevisions()).sort((a, b) => a - b);
    throw new KrpcError('NOT_FOUND', `snapshot ${rev} is not kept any more; kept revisions: ${kept.join(', ') || 'none'}`);
  };

  const methods = krpcMethods<SchedulerMethods>()({
    get_snapshot: {
      params: { type: 'object', properties: { rev: revParam }, additionalProperties: false },
      handler: async (p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        const snapshot = snapshotJson(await snapshotAt(p.rev));
        return { ...snapshot, kept_revisions: (await opts.keptRevisions()).sort((a, b) => a - b) };
      },
    },
    diff: {
      params: { type: 'object', properties: { from: revParam, to: revParam }, required: ['from'], additionalProperties: false },
      handler: async (p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        const from = await snapshotAt(p.from);
        const to = await snapshotAt(p.to);
        // Every kept pass in between, each tied to what it read differently from the one before.
        const kept = (await opts.keptRevisions()).filter((r) => r > from.rev && r < to.rev).sort((a, b) => a - b).slice(-50);
        const chain = [from];
        for (const rev of kept) {
          const snap = parseSnapshot(await opts.readKey(historyKey(rev)));
          if (snap) chain.push(snap);
        }
        if (to.rev > from.rev) chain.push(to);
        const steps = chain.slice(1).map((b, i) => diffStep(chain[i], b));
        return { ...diffSnapshotsJson(from, to), inputs: inputChanges(from, to), steps };
      },
    },
    matrix: {
      params: { type: 'object', properties: { rev: revParam }, additionalProperties: false },
      handler: async (p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        return placementMatrix(await snapshotAt(p.rev));
      },
    },
    why_not: {
      params: {
        type: 'object', required: ['spec_id', 'node'], additionalProperties: false,
        properties: { spec_id: { type: 'string', minLength: 1, maxLength: 300 }, node: { type: 'string', minLength: 1, maxLength: 128 }, rev: revParam },
      },
      handler: async (p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        const snap = await snapshotAt(p.rev);
        if (!Object.hasOwn(snap.placements, p.spec_id)) throw new KrpcError('NOT_FOUND', `the scheduler knows no app or service "${p.spec_id}" in snapshot ${snap.rev}`);
        if (!Object.hasOwn(snap.nodes, p.node)) throw new KrpcError('NOT_FOUND', `the scheduler knows no device "${p.node}" in snapshot ${snap.rev}`);
        return whyNot(snap, p.spec_id, p.node);
      },
    },
    /** "Why is this app on the NAS?": every placement of one spec with its reason. */
    explain: {
      params: { type: 'object', properties: { spec_id: { type: 'string', minLength: 1, maxLength: 300 } }, required: ['spec_id'], additionalProperties: false },
      handler: async (p, ctx) => {
        await mayRead(ctx, SCHEDULER_SNAPSHOT_KEY);
        const snap = snapshotJson(await snapshotAt(undefined));
        const placements = snap.placements.filter((x) => x.spec_id === p.spec_id);
        const unplaced = snap.unplaced.filter((x) => x.spec_id === p.spec_id);
        if (placements.length === 0 && unplaced.length === 0) throw new KrpcError('NOT_FOUND', `the scheduler knows no spec "${p.spec_id}"`);
        return { rev: snap.rev, placements, unplaced };
      },
    },
    /**
     * Upstream's name for "recompute now"; one pass derives placements, service info, RBAC and routes
     * together. A pass writes, so it needs write access to the snapshot (reading it is not enough).
     */
    refresh_rbac: {
      params: { type: 'object', additionalProperties: false },
      handler: async (_p, ctx) => {
        await may(ctx, SCHEDULER_SNAPSHOT_KEY, 'write');
        return scheduler.runOnce();
      },
    },
  });

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
