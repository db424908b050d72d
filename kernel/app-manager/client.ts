// Typed client of the app-manager, used by the CLI, the control panel and tests.
import type { GcResult } from '../api/repo.js';
import { ServiceClient, type TokenSource } from '../lib/krpc/client.js';
import type { AppManagerMethods } from '../api/app-manager.js';
import type { InstallParams, RollbackParams, UpgradeParams, AppRef } from './schema.js';
import type { AppListEntry, StartedTask, TaskView } from './types.js';

export type { AppListEntry, StartedTask, TaskView, InstallParams, RollbackParams, UpgradeParams, AppRef };

export class AppManagerClient {
  private readonly rpc: ServiceClient<AppManagerMethods>;

  /** `url` is the endpoint, e.g. `http://<zone>:3180/kapi/app_manager` through the gateway. */
  constructor(url: string, token: TokenSource, opts: { timeoutMs?: number } = {}) {
    this.rpc = new ServiceClient<AppManagerMethods>(url, { token, timeoutMs: opts.timeoutMs });
  }

  install(p: InstallParams): Promise<StartedTask> {
    return this.rpc.call('install_app', p);
  }

  upgrade(p: UpgradeParams): Promise<StartedTask> {
    return this.rpc.call('upgrade_app', p);
  }

  rollback(p: RollbackParams): Promise<StartedTask> {
    return this.rpc.call('rollback_app', p);
  }

  uninstall(p: AppRef): Promise<StartedTask> {
    return this.rpc.call('uninstall_app', p);
  }

  list(): Promise<AppListEntry[]> {
    return this.rpc.call('list_apps', {});
  }

  /** Repo GC keeping the current and previous version of every installed app (admins only). */
  gcPackages(): Promise<GcResult & { keep: Record<string, string[]> }> {
    return this.rpc.call('gc_packages', {});
  }

  task(taskId: string): Promise<TaskView> {
    return this.rpc.call('get_task', { task_id: taskId });
  }
}
