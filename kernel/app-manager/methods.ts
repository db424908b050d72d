// The app-manager's kRPC methods (POST /kapi/app_manager). A request checks its input, resolves the
// package at the repo and writes the caller's install record WITH THE CALLER'S TOKEN (so RBAC decides
// whose apps it may touch); the pipeline does the rest in the background and get_task/list_apps show
// how far it got.
import { randomBytes } from 'node:crypto';
import { KrpcError, notFound } from '../lib/errors.js';
import { krpcMethods, type KrpcMethods } from '../lib/krpc/server.js';
import type { AppManagerMethods } from '../api/app-manager.js';
import { KeyedMutex } from '../pkg/lock.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import type { SystemConfigClient } from '../system-config/client.js';
import { AppKv, type Versioned } from './app-kv.js';
import type { Caller, Callers } from './callers.js';
import type { AppPipeline } from './pipeline.js';
import { appStateOf, listEntryOf, parseRolledBack, taskActive, taskView } from './records.js';
import type { AppRepo, ResolvedPkg } from './repo.js';
import semver from 'semver';
import { rolledBackVersionsKey } from '../api/keys.js';
import {
  defaultInstallationId, getTaskParams, installParams, isInstallationId, listParams, rollbackParams, uninstallParams, upgradeParams,
  type AppRef, type InstallParams, type RollbackParams, type UpgradeParams,
} from './schema.js';
import { appSpecKey, installRecordKey } from './spec.js';
import type { AppListEntry, AppTask, InstallRecord, StartedTask, TaskKind, TaskView } from './types.js';
import { KAPI_PATHS } from '../api/krpc.js';
import { DEVICES_DIR, deviceDocKey, deviceInfoKey, userSettingsKey } from '../api/keys.js';

export interface AppManagerDeps {
  callers: Callers;
  pipeline: AppPipeline;
  /** system-config with the app-manager's own token (instance reports, device infos) */
  kv: SystemConfigClient;
  repo: AppRepo;
  now: () => number;
  /** health check window of a new version when the request names none */
  healthTimeoutMs: number;
}

export const APP_MANAGER_PATH = KAPI_PATHS.appManager;

/**
 * An installation id is the app's RBAC subject: it may not be a device's or a user's name, nor a role,
 * kernel id or su_ name (system-config refuses the spec too; asking first fails before any record).
 */
async function assertAppNameIsFree(kv: SystemConfigClient, id: string): Promise<void> {
  const reserved = describeReserved(id);
  if (reserved) throw new KrpcError('INVALID_PARAMS', `${reserved}; install the app under another installation id`);
  if (await kv.get(deviceDocKey(id))) throw new KrpcError('ALREADY_EXISTS', `"${id}" is a device of this zone; install the app under another installation id`);
  if (await kv.get(userSettingsKey(id))) throw new KrpcError('ALREADY_EXISTS', `"${id}" is a user of this zone; install the app under another installation id`);
}

export function appManagerMethods(d: AppManagerDeps): KrpcMethods {
  const locks = new KeyedMutex();
  const service = new AppKv(d.kv);

  const newTask = (kind: TaskKind, fields: Pick<AppTask, 'step' | 'phase' | 'to'> & Partial<AppTask>, healthTimeoutS?: number): AppTask => ({
    id: `${kind}-${d.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    kind,
    bytes: 0,
    total: 0,
    health_timeout_ms: healthTimeoutS !== undefined ? healthTimeoutS * 1000 : d.healthTimeoutMs,
    started_at: d.now(),
    updated_at: d.now(),
    ...fields,
  });

  /** The caller's app named by installation id, or by pkg name (the first install of it wins). */
  const findApp = async (caller: Caller, ref: AppRef): Promise<Versioned<InstallRecord>> => {
    const mine = new AppKv(caller.kv);
    if (ref.installation_id) {
      const r = await mine.record(caller.userId, ref.installation_id);
      if (r) return r;
    } else if (ref.name) {
      const preferred = await mine.record(caller.userId, defaultInstallationId(ref.name));
      if (preferred?.value.pkg_name === ref.name) return preferred;
      for (const id of (await mine.appIds(caller.userId)).sort()) {
        const r = await mine.record(caller.userId, id);
        if (r?.value.pkg_name === ref.name) return r;
      }
    }
    const what = ref.installation_id ?? ref.name;
    throw notFound(`${caller.userId} has no app ${JSON.stringify(what)} installed; see \`buckyos app list\``);
  };

  const notBusy = (r: InstallRecord) => {
    if (taskActive(r.task)) {
      throw new KrpcError('FAILED_PRECONDITION', `${r.installation_id} is busy (${r.task.kind}: ${r.task.phase}); wait until it finishes (see \`buckyos app list\`)`);
    }
    if (r.task.kind === 'install' && r.task.outcome === 'failed') {
      throw new KrpcError('FAILED_PRECONDITION', `the install of ${r.installation_id} failed (${r.task.error ?? 'see the node log'}); uninstall it and install it again`);
    }
  };

  /** Writes the record as the caller, only if nobody changed it since it was read. */
  const writeAs = async (caller: Caller, cur: Versioned<InstallRecord>, next: InstallRecord) => {
    const key = installRecordKey(caller.userId, next.installation_id);
    await caller.kv.execTx({ [key]: { action: 'update', value: JSON.stringify(next) } }, undefined, [{ key, revision: cur.revision }]);
    d.pipeline.kick(caller.userId, next.installation_id);
    return { installation_id: next.installation_id, task_id: next.task.id };
  };

  const lockApp = <T>(caller: Caller, id: string, fn: () => Promise<T>) => locks.run(`${caller.userId}/${id}`, fn);

  return krpcMethods<AppManagerMethods>()({
    install_app: {
      params: installParams,
      handler: async (p: InstallParams, ctx): Promise<StartedTask> => {
        const caller = await d.callers.verify(ctx.token);
        const id = p.installation_id ?? defaultInstallationId(p.name);
        if (!isInstallationId(id)) throw new KrpcError('INVALID_PARAMS', `${JSON.stringify(id)} cannot be an installation id (a-z, 0-9, _ and -); pass one with installation_id`);
        await assertAppNameIsFree(d.kv, id);
        if (p.node && !(await d.kv.get(deviceInfoKey(p.node)))) {
          throw notFound(`no node "${p.node}" has joined this zone; pick one of: ${(await d.kv.list(DEVICES_DIR)).join(', ') || 'none'}`);
        }
        const { pkg, note } = await pickVersion(d, p.name, p.version);
        return lockApp(caller, id, async () => {
          const existing = await new AppKv(caller.kv).record(caller.userId, id);
          if (existing) {
            throw new KrpcError('ALREADY_EXISTS', `${id} is already installed (${existing.value.pkg_name} ${existing.value.version}); upgrade it with \`buckyos app upgrade ${id}\`, or install a second copy under another installation id`);
          }
          if (await caller.kv.get(appSpecKey(caller.userId, id))) {
            throw new KrpcError('ALREADY_EXISTS', `${appSpecKey(caller.userId, id)} already exists; pick another installation id`);
          }
          const now = d.now();
          const record: InstallRecord = {
            installation_id: id,
            user_id: caller.userId,
            pkg_name: pkg.name,
            version: pkg.version,
            app_index: 0,
            state: 'installing',
            task: newTask('install', { step: 'prepare', phase: 'preparing', to: pkg.version, total: pkg.size }, p.health_timeout_s),
            installed_at: now,
            updated_at: now,
            ...(p.node ? { node: p.node } : {}),
          };
          await caller.kv.create(installRecordKey(caller.userId, id), JSON.stringify(record));
          d.pipeline.kick(caller.userId, id);
          return { installation_id: id, task_id: record.task.id, ...(note ? { note } : {}) };
        });
      },
    },

    upgrade_app: {
      params: upgradeParams,
      handler: async (p: UpgradeParams, ctx): Promise<StartedTask> => {
        const caller = await d.callers.verify(ctx.token);
        const found = await findApp(caller, p);
        return lockApp(caller, found.value.installation_id, async () => {
          const cur = await findApp(caller, { installation_id: found.value.installation_id });
          const r = cur.value;
          notBusy(r);
          const pkg = await d.repo.resolve(r.pkg_name, p.version);
          if (pkg.version === r.version) throw new KrpcError('FAILED_PRECONDITION', `${r.installation_id} already runs ${r.pkg_name} ${r.version}; publish a newer version first or name one with --version`);
          const task = newTask('upgrade', { step: 'prepare', phase: 'preparing', from: r.version, to: pkg.version, total: pkg.size }, p.health_timeout_s);
          return writeAs(caller, cur, { ...r, state: 'upgrading', task, updated_at: d.now() });
        });
      },
    },

    rollback_app: {
      params: rollbackParams,
      handler: async (p: RollbackParams, ctx): Promise<StartedTask> => {
        const caller = await d.callers.verify(ctx.token);
        const found = await findApp(caller, p);
        return lockApp(caller, found.value.installation_id, async () => {
          const cur = await findApp(caller, { installation_id: found.value.installation_id });
          const r = cur.value;
          notBusy(r);
          if (!r.previous_version) {
            const why = r.last_rollback ? `it was already rolled back from ${r.last_rollback.from}` : 'it was never upgraded';
            throw new KrpcError('FAILED_PRECONDITION', `${r.installation_id} has no earlier version to roll back to (${why}); use \`buckyos app upgrade ${r.installation_id} --version V\` to pick one`);
          }
          const task = newTask('rollback', {
            step: 'rollback', phase: 'rolling-back', from: r.version, to: r.previous_version,
            restore_data: p.keep_data !== true, ...(r.previous_snapshot ? { snapshot_id: r.previous_snapshot } : {}),
          }, p.health_timeout_s);
          return writeAs(caller, cur, { ...r, state: 'rolling-back', task, updated_at: d.now() });
        });
      },
    },

    /**
     * Repo GC that keeps the current and the previous version of every installed app, zone-wide (and
     * whatever an unfinished task moves between). Needs the caller's own right to administer the repo.
     */
    gc_packages: {
      params: listParams,
      handler: async (_p, ctx) => {
        await d.callers.verify(ctx.token);
        const keep = await installedVersions(new AppKv(d.kv));
        const result = await d.repo.gc(keep, ctx.token!);
        return { keep, ...result };
      },
    },

    uninstall_app: {
      params: uninstallParams,
      handler: async (p: AppRef, ctx): Promise<StartedTask> => {
        const caller = await d.callers.verify(ctx.token);
        const found = await findApp(caller, p);
        return lockApp(caller, found.value.installation_id, async () => {
          const cur = await findApp(caller, { installation_id: found.value.installation_id });
          const r = cur.value;
          if (r.task.kind === 'uninstall' && taskActive(r.task)) return { installation_id: r.installation_id, task_id: r.task.id };
          // An uninstall may cut any running task short: the pipeline re-reads the record and follows it.
          const task = newTask('uninstall', { step: 'remove', phase: 'removing', to: r.version });
          return writeAs(caller, cur, { ...r, state: 'uninstalling', task, updated_at: d.now() });
        });
      },
    },

    list_apps: {
      params: listParams,
      handler: async (_p, ctx): Promise<AppListEntry[]> => {
        const caller = await d.callers.verify(ctx.token);
        const mine = new AppKv(caller.kv);
        const entries: AppListEntry[] = [];
        for (const id of (await mine.appIds(caller.userId)).sort()) {
          const r = await mine.record(caller.userId, id);
          if (r) entries.push(listEntryOf(r.value, await service.reports(caller.userId, id), d.now()));
        }
        return entries;
      },
    },

    get_task: {
      params: getTaskParams,
      handler: async (p: { task_id: string }, ctx): Promise<TaskView> => {
        const caller = await d.callers.verify(ctx.token);
        const mine = new AppKv(caller.kv);
        for (const id of await mine.appIds(caller.userId)) {
          const r = await mine.record(caller.userId, id);
          if (r?.value.task.id === p.task_id) return taskView(r.value, appStateOf(r.value, await service.reports(caller.userId, id), d.now()));
        }
        const finished = d.pipeline.finishedTask(caller.userId, p.task_id);
        if (finished) return finished;
        throw notFound(`no task ${p.task_id} among ${caller.userId}'s apps; tasks are kept until the app's next task starts`);
      },
    },
  });
}

/**
 * The version an install gets: the one asked for, else the newest published one that this zone has not
 * rolled back as broken (with a note saying so), else the newest.
 */
async function pickVersion(d: AppManagerDeps, name: string, version: string | undefined): Promise<{ pkg: ResolvedPkg; note?: string }> {
  const newest = await d.repo.resolve(name, version);
  if (version !== undefined) return { pkg: newest };
  const rolledBack = parseRolledBack((await d.kv.get(rolledBackVersionsKey(newest.name)))?.value);
  const broken = rolledBack[newest.version];
  if (!broken) return { pkg: newest };
  const candidates = (await d.repo.versions(newest.name)).filter((v) => semver.valid(v) && !rolledBack[v]).sort(semver.rcompare);
  const why = `${newest.name} ${newest.version} was rolled back in this zone (${broken.reason})`;
  if (candidates.length === 0) return { pkg: newest, note: `${why}, and no other version is published; installing it anyway` };
  const pkg = await d.repo.resolve(newest.name, candidates[0]);
  return { pkg, note: `${why}; installing ${pkg.version}, the newest version not rolled back here (\`--version ${newest.version}\` installs it anyway)` };
}

/** pkg name → versions some install record still needs: current, previous, and an unfinished task's ends. */
async function installedVersions(kv: AppKv): Promise<Record<string, string[]>> {
  const keep: Record<string, Set<string>> = {};
  for (const user of await kv.users()) {
    for (const id of await kv.appIds(user)) {
      const r = (await kv.record(user, id))?.value;
      if (!r) continue;
      const versions = (keep[r.pkg_name] ??= new Set());
      for (const v of [r.version, r.previous_version, taskActive(r.task) ? r.task.from : undefined, taskActive(r.task) ? r.task.to : undefined])
        if (v) versions.add(v);
    }
  }
  return Object.fromEntries(Object.entries(keep).map(([name, v]) => [name, [...v].sort()]));
}
