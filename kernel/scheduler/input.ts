// Pure parse of dump_configs_for_scheduler into a SchedulerInput. A malformed value is skipped with
// a reason (kept in the snapshot) and never stops the pass: one bad key must not freeze the zone.
import { BOOT_CONFIG_KEY, GATEWAY_SETTINGS_KEY, RBAC_POLICY_KEY, appSpecIdOf, isSafeName } from '../api/keys.js';
import { readZoneDocument } from './zone-document.js';
import { describeReserved } from '../lib/rbac/reserved-names.js';
import type {
  AppServiceSpec, KernelServiceSpec, NodeConfig, NodeItem, NodeType, ReportItem, SchedulerInput, SpecItem, UserItem, UserType,
} from './types.js';
import { isPlainObject } from '../lib/json.js';
import { lastHeard } from './placement.js';

export const DEFAULT_GONE_AFTER_S = 45;
/** A report without expires_at counts for this long after last_update_time (spec 20 §5). */
export const REPORT_ALIVE_S = 90;
const DEFAULT_NODE_MEMORY = 2 * 1024 ** 3;
const DEFAULT_KERNEL_MEMORY = 32 * 1024 ** 2;
export const DEFAULT_APP_MEMORY = 128 * 1024 ** 2;
const MAX_INSTANCE_COUNT = 64;
const MAX_APP_INDEX = 2048;

export interface BuildInputOptions {
  goneAfterS?: number;
  listeningSince?: number;
}

class Malformed extends Error {}
const bad = (msg: string) => new Malformed(msg);

type Json = Record<string, unknown>;

function parseObject(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw bad('value is not valid JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('value is not a JSON object');
  return v as Json;
}

const str = (v: unknown, dflt: string) => (typeof v === 'string' ? v : dflt);
const num = (v: unknown, dflt: number) => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;

function portsOf(v: unknown, field: string): Record<string, number> {
  if (v === undefined) return {};
  if (!isPlainObject(v)) throw bad(`${field} is not an object`);
  const out: Record<string, number> = {};
  for (const [name, p] of Object.entries(v)) {
    if (!isSafeName(name)) throw bad(`${field} has an invalid endpoint name`);
    if (!isPort(p)) throw bad(`${field}.${name} is not a port number`);
    out[name] = p;
  }
  return out;
}

function innerPortsOf(spec: Json): Record<string, number> {
  const cfg = spec.spec_config;
  if (!isPlainObject(cfg) || !isPlainObject(cfg.service_config)) throw bad('spec_config.service_config is missing');
  const out: Record<string, number> = {};
  for (const [name, ep] of Object.entries(cfg.service_config)) {
    if (!isSafeName(name)) throw bad('service_config has an invalid endpoint name');
    if (!isPlainObject(ep) || !isPort(ep.inner_port)) throw bad(`service_config.${name}.inner_port is not a port number`);
    out[name] = ep.inner_port;
  }
  return out;
}

function countOf(v: unknown): number {
  if (v === undefined) return 1;
  if (!Number.isInteger(v) || (v as number) < 0) throw bad('expected_instance_count is not a non-negative integer');
  return Math.min(v as number, MAX_INSTANCE_COUNT);
}

const NODE_TYPES: Record<string, NodeType> = { ood: 'ood', server: 'server', node: 'node' };
const ARCH_ALIASES: Record<string, string> = { x64: 'amd64', x86_64: 'amd64', arm64: 'aarch64' };
const OS_ALIASES: Record<string, string> = { win32: 'win', darwin: 'apple' };
const alias = (table: Record<string, string>, v: string) => (Object.hasOwn(table, v) ? table[v] : v);

function parseNode(name: string, text: string): NodeItem {
  const info = parseObject(text);
  if (typeof info.update_time !== 'number' || !Number.isFinite(info.update_time)) throw bad('update_time is missing');
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64) : []);
  const docIps = strings(info.ips);
  const allIps = strings(info.all_ip).sort();
  const deviceType = str(info.device_type, '');
  const total = num(info.total_mem, 0);
  return {
    name,
    did: typeof info.id === 'string' && info.id ? info.id : `did:bns:${name}`,
    type: Object.hasOwn(NODE_TYPES, deviceType) ? NODE_TYPES[deviceType] : 'client',
    state: typeof info.state === 'string' ? info.state : undefined,
    arch: alias(ARCH_ALIASES, str(info.arch, '')),
    os: alias(OS_ALIASES, str(info.os, '')),
    totalMem: total > 0 ? total : DEFAULT_NODE_MEMORY,
    memUsage: Math.max(0, num(info.mem_usage, 0)),
    supportContainer: info.support_container !== false,
    netId: typeof info.net_id === 'string' ? info.net_id : undefined,
    ips: docIps.length > 0 ? docIps : allIps,
    updateTime: info.update_time,
    sessionId: typeof info.node_session_id === 'string' && info.node_session_id ? info.node_session_id : undefined,
  };
}

const USER_TYPES = new Set<string>(['root', 'admin', 'user', 'limited', 'guest']);

function parseUser(name: string, text: string): UserItem | undefined {
  const s = parseObject(text);
  if (typeof s.type !== 'string' || !USER_TYPES.has(s.type)) throw bad('type is not one of root/admin/user/limited/guest');
  if (s.state !== 'active') return undefined;
  return { id: name, type: s.type as UserType, resPool: typeof s.res_pool_id === 'string' ? s.res_pool_id : 'default' };
}

function requirementsMemory(doc: unknown, dflt: number): number {
  const req = isPlainObject(doc) && isPlainObject(doc.requirements) ? doc.requirements : undefined;
  const mem = req?.memory;
  if (mem === undefined) return dflt;
  if (typeof mem !== 'number' || !Number.isFinite(mem) || mem < 0) throw bad('requirements.memory is not a byte count');
  return mem;
}

function parseKernelSpec(name: string, key: string, text: string): SpecItem {
  const spec = parseObject(text);
  return {
    id: name,
    kind: 'kernel',
    key,
    owner: 'root',
    appId: name,
    appIndex: 0,
    state: str(spec.state, 'new'),
    enabled: spec.enable !== false,
    count: countOf(spec.expected_instance_count),
    requiredMemory: requirementsMemory(spec.service_doc, DEFAULT_KERNEL_MEMORY),
    pkgKinds: [],
    nodeAffinity: undefined,
    ports: innerPortsOf(spec),
    raw: spec as unknown as KernelServiceSpec,
  };
}

function parseAppSpec(user: string, installationId: string, key: string, text: string): SpecItem {
  const spec = parseObject(text);
  if (spec.installation_id !== undefined && spec.installation_id !== installationId) throw bad('installation_id does not match the key');
  if (spec.user_id !== undefined && spec.user_id !== user) throw bad('user_id does not match the key');
  const doc = spec.app_doc;
  if (!isPlainObject(doc) || !isPlainObject(doc.pkg_list)) throw bad('app_doc.pkg_list is missing');
  const pkgKinds = Object.entries(doc.pkg_list)
    .filter(([, p]) => isPlainObject(p) && typeof p.pkg_id === 'string')
    .map(([k]) => k)
    .sort();
  if (pkgKinds.length === 0) throw bad('app_doc.pkg_list names no package');
  const appIndex = spec.app_index;
  if (!Number.isInteger(appIndex) || (appIndex as number) < 1 || (appIndex as number) > MAX_APP_INDEX) throw bad(`app_index is not an integer in 1..${MAX_APP_INDEX}`);
  const affinity = spec.node_affinity;
  if (affinity !== undefined && affinity !== null && (typeof affinity !== 'string' || !isSafeName(affinity))) throw bad('node_affinity is not a node name');
  return {
    id: appSpecIdOf({ user, installationId }),
    kind: 'app',
    key,
    owner: user,
    appId: installationId,
    appIndex: appIndex as number,
    state: str(spec.state, 'new'),
    enabled: spec.enable !== false,
    count: countOf(spec.expected_instance_count),
    requiredMemory: requirementsMemory(doc, DEFAULT_APP_MEMORY),
    pkgKinds,
    nodeAffinity: typeof affinity === 'string' ? affinity : undefined,
    ports: innerPortsOf(spec),
    raw: spec as unknown as AppServiceSpec,
  };
}

function parseReport(specId: string, node: string, text: string): ReportItem {
  const r = parseObject(text);
  if (typeof r.state !== 'string') throw bad('state is missing');
  const expires = typeof r.expires_at === 'number' && Number.isFinite(r.expires_at) ? r.expires_at
    : typeof r.last_update_time === 'number' && Number.isFinite(r.last_update_time) ? r.last_update_time + REPORT_ALIVE_S
      : undefined;
  if (expires === undefined) throw bad('neither expires_at nor last_update_time is a number');
  return {
    specId,
    node,
    state: r.state,
    ports: portsOf(r.service_ports, 'service_ports'),
    nodeDid: typeof r.node_did === 'string' && r.node_did ? r.node_did : undefined,
    sessionId: typeof r.node_session_id === 'string' && r.node_session_id ? r.node_session_id : undefined,
    liveUntil: expires,
  };
}

function parseNodeConfig(name: string, c: Json): NodeConfig {
  for (const field of ['kernel', 'apps', 'frame_services'] as const) {
    if (c[field] !== undefined && !isPlainObject(c[field])) throw bad(`${field} is not an object`);
  }
  const entries = (v: unknown) => {
    const out: Json = {};
    if (!isPlainObject(v)) return out;
    for (const [id, e] of Object.entries(v)) {
      if (isPlainObject(e) && typeof e.target_state === 'string' && id.split('@').every(isSafeName)) out[id] = e;
    }
    return out;
  };
  return {
    ...c,
    node_id: str(c.node_id, name),
    node_did: str(c.node_did, `did:bns:${name}`),
    kernel: entries(c.kernel) as NodeConfig['kernel'],
    apps: entries(c.apps) as NodeConfig['apps'],
    frame_services: isPlainObject(c.frame_services) ? c.frame_services : {},
    state: str(c.state, 'running'),
  };
}

function parseShortcuts(text: string): Record<string, string> {
  const s = parseObject(text);
  const out: Record<string, string> = {};
  if (!isPlainObject(s.shortcuts)) return out;
  for (const [host, target] of Object.entries(s.shortcuts)) {
    if (host !== '_' && !isSafeName(host)) continue;
    if (isPlainObject(target) && target.target_type === 'service' && typeof target.app_id === 'string' && isSafeName(target.app_id)) out[host] = target.app_id;
  }
  return out;
}

type KeyFamily = 'device-info' | 'user-settings' | 'app-spec' | 'kernel-spec' | 'service-info' | 'report' | 'node-config' | 'gateway-info';

function familyOf(seg: string[]): KeyFamily | undefined {
  const [top, , third] = seg;
  if (seg.length === 3) {
    if (top === 'devices' && third === 'info') return 'device-info';
    if (top === 'users' && third === 'settings') return 'user-settings';
    if (top === 'services' && third === 'spec') return 'kernel-spec';
    if (top === 'services' && third === 'info') return 'service-info';
    if (top === 'nodes' && third === 'config') return 'node-config';
    if (top === 'nodes' && third === 'gateway_info') return 'gateway-info';
  }
  if (seg.length === 4 && top === 'services' && third === 'instances') return 'report';
  if (seg.length === 5 && top === 'users' && third === 'apps' && seg[4] === 'spec') return 'app-spec';
  return undefined;
}

export function buildSchedulerInput(dump: Record<string, string>, opts: BuildInputOptions = {}): SchedulerInput {
  // Tables keyed by names from the dump have no prototype: a node called "constructor" is just a node.
  const table = <T>() => Object.create(null) as Record<string, T>;
  const input: SchedulerInput = {
    zone: { host: '', oods: [] },
    nodes: table(), users: table(), specs: table(), reports: table(), nodeConfigs: table(), gatewayShortcuts: table(),
    current: table(), currentNodeConfigs: table(), skipped: [],
    goneAfterS: opts.goneAfterS ?? DEFAULT_GONE_AFTER_S,
    ...(opts.listeningSince !== undefined ? { listeningSince: opts.listeningSince } : {}),
  };
  const skip = (key: string, reason: string) => input.skipped.push({ key, reason });

  for (const key of Object.keys(dump).sort()) {
    const text = dump[key];
    if (typeof text !== 'string') continue;
    const seg = key.split('/');
    try {
      if (key === BOOT_CONFIG_KEY) {
        const cfg = parseObject(text);
        const view = typeof cfg.zone_document === 'string' ? readZoneDocument(cfg.zone_document) : undefined;
        if (!view) throw bad('zone_document cannot be decoded');
        input.zone = { host: view.host, oods: view.oods.filter(isSafeName) };
        continue;
      }
      if (key === RBAC_POLICY_KEY) {
        input.current[key] = text;
        continue;
      }
      if (key === GATEWAY_SETTINGS_KEY) {
        input.gatewayShortcuts = parseShortcuts(text);
        continue;
      }
      const family = familyOf(seg);
      if (!family) continue;
      if (!seg.every((s) => s.split('@').every(isSafeName))) throw bad('key names an invalid user, node, service or app');
      switch (family) {
        case 'device-info':
          input.nodes[seg[1]] = parseNode(seg[1], text);
          break;
        case 'user-settings': {
          const user = parseUser(seg[1], text);
          if (user) input.users[user.id] = user;
          break;
        }
        case 'app-spec': {
          const spec = parseAppSpec(seg[1], seg[3], key, text);
          input.specs[spec.id] = spec;
          break;
        }
        case 'kernel-spec':
          input.specs[seg[1]] = parseKernelSpec(seg[1], key, text);
          break;
        case 'service-info':
        case 'gateway-info':
          input.current[key] = text;
          break;
        case 'report':
          (input.reports[seg[1]] ??= table())[seg[3]] = parseReport(seg[1], seg[3], text);
          break;
        case 'node-config': {
          const raw = parseObject(text);
          input.nodeConfigs[seg[1]] = parseNodeConfig(seg[1], raw);
          input.currentNodeConfigs[key] = raw;
          break;
        }
      }
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      skip(key, e.message);
    }
  }
  dropAppsNamedLikeOtherSubjects(input);
  tieReportsToHeartbeats(input);
  return input;
}

/**
 * An app id is an RBAC subject (`g, <app>, app`): one named like a node, a user, a role or a kernel id
 * would merge its rights with theirs, so it is neither placed nor given a group (ours; system-config
 * refuses such names when they are created, this covers zones that have them from before).
 */
function dropAppsNamedLikeOtherSubjects(input: SchedulerInput): void {
  const oods = new Set(input.zone.oods);
  for (const [id, spec] of Object.entries(input.specs)) {
    if (spec.kind !== 'app') continue;
    const name = spec.appId;
    const clash = describeReserved(name)
      ?? (Object.hasOwn(input.nodes, name) || oods.has(name) ? `"${name}" is a node of this zone` : undefined)
      ?? (Object.hasOwn(input.users, name) ? `"${name}" is a user of this zone` : undefined);
    if (!clash) continue;
    delete input.specs[id];
    input.skipped.push({ key: spec.key, reason: `${clash}; an app needs a name of its own` });
  }
}

/** node-daemon writes a report only when it changes; its node's heartbeat says it is still true. */
function tieReportsToHeartbeats(input: SchedulerInput): void {
  for (const byNode of Object.values(input.reports)) {
    for (const r of Object.values(byNode)) {
      const node = Object.hasOwn(input.nodes, r.node) ? input.nodes[r.node] : undefined;
      if (!node) continue;
      const heartbeatUntil = lastHeard(node, input) + input.goneAfterS;
      r.liveUntil = r.sessionId !== undefined && r.sessionId === node.sessionId ? heartbeatUntil : Math.min(r.liveUntil, heartbeatUntil);
    }
  }
}
