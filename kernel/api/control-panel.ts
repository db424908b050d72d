// The control-panel kernel service (/kapi/control-panel): what the owner's panel needs that no other
// service answers, with upstream BuckyOS's method names (src/frame/control_panel). Every method acts
// with the CALLER's token, so system-config's RBAC decides what each person may see or change.
import type { NodeStatus, Reason } from './scheduler.js';
import type { UserType } from './zone.js';
import type { PermissionMethods } from './permissions.js';
import type { PeopleMethods } from './people.js';

export interface ZoneOverview {
  /** Upstream's fields (zone_mgr.rs handle_zone_overview). */
  zone: { name: string; domain: string; did: string; ownerDid: string; userName: string; zoneIat: number };
  device: { name: string; did: string; type: string; netId: string };
  /** Ours: every node the scheduler knows, with its status and why. */
  nodes: { name: string; type: string; status: NodeStatus; reason: Reason; disk?: NodeDisk }[];
  /** Ours: every app placement the scheduler keeps, with its state. */
  apps: { id: string; owner: string; state: string; desired: number; running: number; unplaced?: Reason; instances?: { node: string; reason: Reason }[] }[];
  /** Ours: revision of the scheduler snapshot the nodes and apps come from. */
  schedulerRev: number;
}

/** Ours: the node's data disk, from its `devices/<node>/info` (total_space, disk_usage), when the caller may read it. */
export interface NodeDisk {
  total: number;
  used: number;
}

export interface UserSummary {
  user_id: string;
  user_type: UserType;
  state: string;
}

/**
 * The people methods (user.*, app availability) are declared in people.ts, the permission previews in
 * permissions.ts (answered by system-config's own casbin enforcer: Rbac.explain, i.e. enforceEx).
 */
export interface ControlPanelMethods extends PermissionMethods, PeopleMethods {
  'zone.overview': { params: Record<string, never>; result: ZoneOverview };
  'user.list': { params: { include_deleted?: boolean }; result: { users: UserSummary[] } };
  'user.get': { params: { user_id: string }; result: UserSummary };
}
