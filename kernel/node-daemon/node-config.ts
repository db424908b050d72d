// nodes/<node>/config as written by the scheduler (spec 10 §2, 20 §6) and what one app entry asks of
// this node. Parsing is tolerant of unknown fields and strict about the few the daemon acts on.
import { KrpcError } from '../lib/errors.js';
import { nodeConfigKey } from '../api/keys.js';
import { isPlainObject } from '../lib/json.js';
import type { AppDoc, AppServiceInstanceConfig, AppServiceSpec, KernelServiceInstanceConfig, NodeConfig as ZoneNodeConfig } from '../api/zone.js';

/**
 * nodes/<node>/config as the daemon reads it back. The scheduler writes kernel/api's NodeConfig in full,
 * but an older writer or a hand edit may leave out any field the daemon does not strictly need, so the
 * entries are the same shapes with every field it checks before use made optional.
 */
export type AppInstanceConfig = Omit<AppServiceInstanceConfig, 'target_state' | 'app_spec' | 'service_ports_config'> & {
  target_state: string;
  app_spec: Partial<Pick<AppServiceSpec, 'installation_id' | 'user_id' | 'app_index' | 'state'>> & { app_doc?: Partial<AppDoc>; [extra: string]: unknown };
  service_ports_config?: Partial<AppServiceInstanceConfig['service_ports_config']>;
};
export type KernelInstanceConfig = Omit<KernelServiceInstanceConfig, 'target_state' | 'service_sepc'> & {
  target_state: string;
  service_sepc?: unknown;
};
// Pick, not Omit: Omit over a type with an index signature keeps only the index signature.
export type NodeConfig = Pick<ZoneNodeConfig, 'node_id' | 'node_did' | 'frame_services' | 'state'> & {
  kernel: Record<string, KernelInstanceConfig>;
  apps: Record<string, AppInstanceConfig>;
};

/** An absent key is an empty config (nothing wanted); text that is not a config object is refused. */
export function parseNodeConfig(text: string | undefined, nodeName: string): NodeConfig {
  if (text === undefined) return { node_id: nodeName, node_did: '', kernel: {}, apps: {}, frame_services: {}, state: 'running' };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new KrpcError('INVALID_PARAMS', `${nodeConfigKey(nodeName)} is not valid JSON; fix it with "buckyos kv set"`);
  }
  if (!isPlainObject(raw)) throw new KrpcError('INVALID_PARAMS', `${nodeConfigKey(nodeName)} must be a JSON object`);
  const section = <T>(name: string): Record<string, T> => {
    const v = raw[name];
    if (v === undefined || v === null) return {};
    if (!isPlainObject(v)) throw new KrpcError('INVALID_PARAMS', `${nodeConfigKey(nodeName)}.${name} must be an object`);
    const out: Record<string, T> = {};
    for (const [k, entry] of Object.entries(v)) if (isPlainObject(entry)) out[k] = entry as T;
    return out;
  };
  return {
    node_id: typeof raw.node_id === 'string' ? raw.node_id : nodeName,
    node_did: typeof raw.node_did === 'string' ? raw.node_did : '',
    kernel: section<KernelInstanceConfig>('kernel'),
    apps: section<AppInstanceConfig>('apps'),
    frame_services: section<unknown>('frame_services'),
    state: typeof raw.state === 'string' ? raw.state : 'running',
  };
}

// Ids end up in KV keys, file names and env var names: one conservative alphabet for all of them.
const SAFE_ID = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]{0,199}$/;
export const isSafeId = (id: unknown): id is string => typeof id === 'string' && SAFE_ID.test(id) && !id.includes('..');

/** A file-name form of an id that is valid on every platform (installation ids contain ':'). */
export const fsName = (id: string) => id.replace(/[^A-Za-z0-9_.@-]/g, '_');

/** Platform names as the AppDoc pkg_list slots spell them (spec 30 §1): `<arch>_<os>_app`. */
export function platformSlot(arch: string = process.arch, platform: NodeJS.Platform = process.platform): { arch: string; os: string } {
  const a = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'aarch64' : arch;
  const o = platform === 'win32' ? 'win' : platform === 'darwin' ? 'apple' : platform;
  return { arch: a, os: o };
}

export interface AppTarget {
  instanceId: string;
  /** `<installation_id>@<user>`: the services/<spec_id>/instances/<node> report key */
  specId: string;
  installationId: string;
  userId: string;
  pkgId: string;
  portHint: number;
  entry: AppInstanceConfig;
}

/** Why an entry cannot run here, with the spec id when the entry names one (so it can be reported). */
export class AppEntryError extends Error {
  constructor(readonly specId: string | undefined, readonly error: KrpcError) {
    super(error.message);
  }
}

const validPort = (p: unknown): p is number => typeof p === 'number' && Number.isInteger(p) && p >= 1 && p <= 65535;

/** `<installation_id>@<user>` from an instance id `<installation_id>@<user>@<node>`, when it has that shape. */
function idsFromInstanceKey(instanceId: string, nodeName: string): { installationId: string; userId: string } | undefined {
  const suffix = `@${nodeName}`;
  if (!instanceId.endsWith(suffix)) return undefined;
  const specId = instanceId.slice(0, -suffix.length);
  const at = specId.lastIndexOf('@');
  return at > 0 && at < specId.length - 1 ? { installationId: specId.slice(0, at), userId: specId.slice(at + 1) } : undefined;
}

/**
 * What the app entry `instanceId` asks this node to run, or an AppEntryError saying why it cannot.
 * The spec id comes from the instance id (as the scheduler writes it) or else from app_spec; when both
 * name it they must agree, since they decide whose data directory the app gets.
 */
export function resolveAppTarget(
  instanceId: string,
  entry: AppInstanceConfig,
  node: { name: string; supportContainer: boolean; slot?: { arch: string; os: string } },
): AppTarget {
  const spec = isPlainObject(entry.app_spec) ? entry.app_spec : {};
  const fromKey = idsFromInstanceKey(instanceId, node.name);
  const installationId = spec.installation_id ?? fromKey?.installationId;
  const userId = spec.user_id ?? fromKey?.userId;
  if (!isSafeId(instanceId) || !isSafeId(installationId) || !isSafeId(userId)) {
    const specId = isSafeId(installationId) && isSafeId(userId) ? `${installationId}@${userId}` : undefined;
    throw new AppEntryError(specId, new KrpcError('INVALID_PARAMS',
      `app entry ${JSON.stringify(instanceId)} needs a safe instance id "<installation_id>@<user>@${node.name}" or app_spec.installation_id and app_spec.user_id (letters, digits, _.:@-)`));
  }
  if (fromKey && (fromKey.installationId !== installationId || fromKey.userId !== userId))
    throw new AppEntryError(`${fromKey.installationId}@${fromKey.userId}`, new KrpcError('INVALID_PARAMS',
      `app entry ${instanceId} names ${installationId}@${userId} in app_spec; the instance id and app_spec must name the same app and user`));
  const specId = `${installationId}@${userId}`;
  const fail = (code: 'INVALID_PARAMS' | 'FAILED_PRECONDITION', message: string) => new AppEntryError(specId, new KrpcError(code, message));

  const slots = spec.app_doc?.pkg_list ?? {};
  const { arch, os } = node.slot ?? platformSlot();
  const pkgId = slots.script?.pkg_id ?? slots[`${arch}_${os}_app`]?.pkg_id;
  if (typeof pkgId !== 'string' || pkgId.length === 0 || pkgId.length > 256) {
    const needsContainer = Object.keys(slots).some((k) => k.endsWith('_docker_image'));
    if (needsContainer && !node.supportContainer)
      throw fail('FAILED_PRECONDITION', `app ${specId} ships only a container image and this node has no container engine (install docker or podman, or place the app on another node)`);
    if (needsContainer)
      throw fail('FAILED_PRECONDITION', `app ${specId} ships only a container image; the container runtime is not available in this version, only the process runtime`);
    throw fail('INVALID_PARAMS', `app ${specId} has no package for this node: app_doc.pkg_list needs "script" or "${arch}_${os}_app" with a pkg_id`);
  }

  const hint = entry.service_ports_config?.www;
  if (!validPort(hint)) throw fail('INVALID_PARAMS', `app ${specId} has no valid start-port hint in service_ports_config.www (1..65535)`);
  return { instanceId, specId, installationId, userId, pkgId, portHint: hint, entry };
}

/** Two targets that would start the same process (a change here means restart with the new one). */
export const sameLaunch = (a: AppTarget, b: AppTarget) =>
  a.pkgId === b.pkgId && a.portHint === b.portHint && a.installationId === b.installationId && a.userId === b.userId;
