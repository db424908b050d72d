// The AppServiceSpec the app-manager writes at users/<u>/apps/<installation_id>/spec (spec 10 §5): one
// package slot ("script": runs on any node with the process runtime), a start-port hint from the app
// index, optional node affinity, and two fields of ours that node-daemon reads back from its instance
// config: `deployment` (echoed in the instance report, so the installer knows which version answers)
// and `data_snapshot` (take or restore the app's data before the process starts).
import { appPortHint } from '../lib/ports.js';
import { appSpecIdOf, instancesDir } from '../api/keys.js';
import type { DataSnapshotRequest } from '../api/zone.js';
export type { DataSnapshotRequest };

export interface SpecPkg {
  name: string;
  version: string;
  description?: string;
  /** manifest min_resources.memory_mb */
  memoryMb?: number;
}

export interface AppSpecInput {
  userId: string;
  installationId: string;
  appIndex: number;
  pkg: SpecPkg;
  node?: string;
  /** identifies this rollout in instance reports */
  deploymentId: string;
  dataSnapshot?: DataSnapshotRequest;
}

export const pkgIdOf = (name: string, version: string) => `${name}#${version}`;

export function buildAppSpec(i: AppSpecInput): Record<string, unknown> {
  const pkgId = pkgIdOf(i.pkg.name, i.pkg.version);
  const appDoc: Record<string, unknown> = {
    name: i.pkg.name,
    version: i.pkg.version,
    pkg_list: { script: { pkg_id: pkgId } },
  };
  if (i.pkg.description) appDoc.description = i.pkg.description;
  if (i.pkg.memoryMb) appDoc.requirements = { memory: i.pkg.memoryMb * 1024 * 1024 };
  const spec: Record<string, unknown> = {
    installation_id: i.installationId,
    user_id: i.userId,
    app_doc: appDoc,
    app_index: i.appIndex,
    app_class: 'UserInstalled',
    enable: true,
    expected_instance_count: 1,
    state: 'new',
    permission: [],
    selected_components: [],
    deployment: { installation_id: i.installationId, task_id: i.deploymentId, pkg_id: pkgId },
    spec_config: { service_config: { www: { protocol: 'http', inner_port: appPortHint(i.appIndex) } } },
  };
  if (i.node) spec.node_affinity = i.node;
  if (i.dataSnapshot) spec.data_snapshot = i.dataSnapshot;
  return spec;
}

export { appSpecKey, installRecordKey, APP_INDEX_SEQ_KEY } from '../api/keys.js';
export const instancesPrefix = (user: string, installationId: string) => instancesDir(appSpecIdOf({ user, installationId }));
/** Indexes below this are left to apps pre-installed at boot (upstream starts those at 10). */
export const FIRST_APP_INDEX = 20;
export const MAX_APP_INDEX = 2048;
