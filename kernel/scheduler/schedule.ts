// The scheduler's pure core: schedule(input, lastSnapshot, now) → actions, KV writes, snapshot.
// No clock, randomness or I/O inside; every collection is walked in sorted order and every value is
// written as canonical JSON, so the same input gives the same output byte for byte, and a value is
// written only when it differs from what the dump holds (unchanged input → zero writes).
import { appPortHint } from '../lib/ports.js';
import { canonicalJson, sameJson, sameJsonValue } from './canonical.js';
import { changedGatewaySections, gatewayInfoRenderer, selectorOf, type GatewayTables } from './gateway-info.js';
import { RBAC_POLICY_KEY, deviceInfoKey, instanceIdOf, nodeConfigKey, nodeGatewayInfoKey, serviceInfoKey, serviceOfInfoKey } from '../api/keys.js';
import { chooseNode, clipDetail, commitPlacement, hardFilter, lastHeard, nodeViewOf, type NodeView } from './placement.js';
import { deriveRbacLines, renderPolicy, userManagedSection } from './rbac.js';
import { deriveServiceInfo, isLive } from './service-info.js';
import type {
  ActionType, AppRoute, ExecTxAction, InstanceState, NodeConfig, NodeType, Reason, ScheduleResult, SchedulerAction, SchedulerInput,
  SchedulerSnapshot, ServiceAlias, ServiceInfo, SnapshotInstance, SnapshotPlacement, SpecItem, SpecKind, KernelServiceSpec, AppServiceSpec,
} from './types.js';
import { isPlainObject } from '../lib/json.js';

type Json = Record<string, unknown>;

/** One instance entry found in a node config. */
interface Entry {
  node: string;
  key: string;
  kind: SpecKind;
  started: boolean;
  value: Json;
}

/** What this pass decided for one instance entry. */
interface Planned {
  node: string;
  key: string;
  kind: SpecKind;
  target: InstanceState;
  reason: Reason;
  action?: ActionType;
  /** 'spec': rebuild from the spec; 'tombstone': stop the stored entry; 'as-is': keep it untouched */
  source: 'spec' | 'tombstone' | 'as-is';
  entry?: Entry;
  removing?: boolean;
  drop?: boolean;
}

/** The snapshot keeps this many of a pass's actions (a cold start of a big zone has thousands). */
export const MAX_SNAPSHOT_ACTIONS = 200;

const RUN_STATES = new Set(['new', 'running', 'deployed', 'restarting', 'updating']);
const STOP_STATES = new Set(['stopped', 'stopping', 'disable', 'disabled']);

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const filterName = (code: string) => code.replace(/^filter:/, '');

function specIdOfAppKey(key: string, node: string, value: Json): string {
  const suffix = `@${node}`;
  if (key.endsWith(suffix) && key.length > suffix.length) return key.slice(0, -suffix.length);
  const spec = value.app_spec;
  if (isPlainObject(spec) && typeof spec.installation_id === 'string' && typeof spec.user_id === 'string') return `${spec.installation_id}@${spec.user_id}`;
  return key;
}

function collectEntries(input: SchedulerInput): Map<string, Entry[]> {
  const bySpec = new Map<string, Entry[]>();
  const add = (specId: string, e: Entry) => {
    const list = bySpec.get(specId);
    if (list) list.push(e);
    else bySpec.set(specId, [e]);
  };
  for (const node of Object.keys(input.nodeConfigs).sort()) {
    const cfg = input.nodeConfigs[node];
    for (const key of Object.keys(cfg.kernel).sort()) {
      const value = cfg.kernel[key] as unknown as Json;
      add(key, { node, key, kind: 'kernel', started: value.target_state === 'started', value });
    }
    for (const key of Object.keys(cfg.apps).sort()) {
      const value = cfg.apps[key] as unknown as Json;
      add(specIdOfAppKey(key, node, value), { node, key, kind: 'app', started: value.target_state === 'started', value });
    }
  }
  return bySpec;
}

function portsConfigOf(spec: SpecItem): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of Object.keys(spec.ports).sort()) out[name] = name === 'www' ? appPortHint(spec.appIndex) : spec.ports[name];
  return out;
}

function entryFromSpec(spec: SpecItem, node: string, target: InstanceState, state: string): Json {
  const raw = spec.raw.state === state ? spec.raw : { ...spec.raw, state };
  if (spec.kind === 'kernel') return { target_state: target, node_id: node, service_sepc: raw };
  return { target_state: target, node_id: node, app_spec: raw, service_ports_config: portsConfigOf(spec) };
}

function tombstoneOf(entry: Entry, removing: boolean): Json {
  const out: Json = { ...entry.value, target_state: 'stopped' };
  const field = entry.kind === 'kernel' ? 'service_sepc' : 'app_spec';
  if (removing && isPlainObject(entry.value[field])) out[field] = { ...(entry.value[field]), state: 'deleted' };
  return out;
}

export function schedule(input: SchedulerInput, last: SchedulerSnapshot | undefined, now: number): ScheduleResult {
  const actions: SchedulerAction[] = [];
  const writes: Record<string, ExecTxAction> = {};
  const act = (type: ActionType, target: string, reason: Reason) => actions.push({ type, target, reason });

  // ---- nodes -------------------------------------------------------------------------------
  const nodeNames = [...new Set([...Object.keys(input.nodes), ...Object.keys(input.nodeConfigs)])].sort();
  const views = new Map<string, NodeView>();
  for (const name of nodeNames) {
    const item = Object.hasOwn(input.nodes, name) ? input.nodes[name] : undefined;
    const config = Object.hasOwn(input.nodeConfigs, name) ? input.nodeConfigs[name] : undefined;
    views.set(name, nodeViewOf(name, item, config, now, input.goneAfterS, input.listeningSince));
  }
  const viewList = [...views.values()];
  const configNodes = nodeNames.filter((n) => Object.hasOwn(input.nodeConfigs, n) || views.get(n)!.type !== 'client');

  // ---- placement ---------------------------------------------------------------------------
  const existing = collectEntries(input);
  const liveStarted = (specId: string, node: string) => {
    const r = input.reports[specId]?.[node];
    return !!r && isLive(r, now);
  };
  // A node's mem_usage shows only instances that already run; reserve memory for the ones placed
  // but not yet reporting, or the next pass would place more on top of them.
  for (const [specId, entries] of existing) {
    for (const e of entries) {
      if (!e.started) continue;
      const view = views.get(e.node)!;
      view.instances += 1;
      if (Object.hasOwn(input.specs, specId) && !liveStarted(specId, e.node)) view.freeMem -= input.specs[specId].requiredMemory;
    }
  }

  const specIds = [...new Set([...Object.keys(input.specs), ...existing.keys()])];
  const kindOf = (id: string): SpecKind => input.specs[id]?.kind ?? existing.get(id)![0].kind;
  specIds.sort((a, b) => (kindOf(a) === kindOf(b) ? cmp(a, b) : kindOf(a) === 'kernel' ? -1 : 1));

  const lastReason = (specId: string, node: string, fallback: Reason): Reason =>
    (last && Object.hasOwn(last.placements, specId) ? last.placements[specId].instances?.find((i) => i.node === node)?.reason : undefined) ?? fallback;
  const keptReason = (specId: string, node: string) =>
    lastReason(specId, node, { code: 'keep:existing-placement', detail: `found in nodes/${node}/config` });

  const nextEntries = new Map<string, { kernel: Json; apps: Json }>();
  for (const n of configNodes) nextEntries.set(n, { kernel: {}, apps: {} });
  const placements: Record<string, SnapshotPlacement> = {};
  const hostingBySpec = new Map<string, string[]>();
  const specState = new Map<string, string>();

  for (const id of specIds) {
    const spec = Object.hasOwn(input.specs, id) ? input.specs[id] : undefined;
    const entries = existing.get(id) ?? [];
    const plan: Planned[] = [];
    let unplaced: Reason | undefined;

    const retire = (e: Entry, reason: Reason, removing: boolean) => {
      if (e.started) {
        plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'stopped', reason, action: 'stop_instance', source: 'tombstone', entry: e, removing });
        views.get(e.node)!.instances -= 1;
      } else if (liveStarted(id, e.node)) {
        plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'stopped', reason: lastReason(id, e.node, reason), source: 'as-is', entry: e });
      } else {
        const why = { code: 'drop:instance-stopped', detail: `${e.node} reports no running instance of a retired entry` };
        plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'stopped', reason: why, action: 'drop_instance', source: 'as-is', entry: e, drop: true });
      }
    };

    const state = spec ? (spec.enabled ? spec.state.toLowerCase() : 'stopped') : 'missing';
    if (spec && RUN_STATES.has(state)) {
      const pool = spec.kind === 'app' ? input.users[spec.owner]?.resPool ?? 'default' : 'default';
      const valid: Entry[] = [];
      const invalid: Array<{ e: Entry; code: string }> = [];
      for (const e of entries) {
        if (e.kind !== spec.kind) {
          invalid.push({ e, code: 'filter:kind-changed' });
          continue;
        }
        const code = hardFilter(spec, views.get(e.node)!, pool);
        if (code) invalid.push({ e, code });
        else valid.push(e);
      }
      valid.sort((a, b) => (a.started === b.started ? cmp(a.node, b.node) : a.started ? -1 : 1));
      const hosting = new Set<string>();
      const keyFor = (node: string) => (spec.kind === 'kernel' ? id : instanceIdOf(id, node));

      for (const e of valid) {
        if (hosting.size < spec.count) {
          hosting.add(e.node);
          if (e.started) plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'started', reason: keptReason(id, e.node), source: 'spec' });
          else {
            views.get(e.node)!.instances += 1;
            plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'started', reason: { code: 'start:spec-running', detail: `spec state is "${spec.state}"` }, action: 'start_instance', source: 'spec' });
          }
        } else retire(e, { code: 'scale:excess-instance', detail: `the spec wants ${spec.count} instance(s)` }, false);
      }
      for (const { e, code } of invalid) {
        if (!e.started || hosting.size >= spec.count) {
          retire(e, { code: `stop:${filterName(code)}`, detail: `${e.node} no longer passes ${code}` }, false);
          continue;
        }
        const d = chooseNode(spec, viewList, hosting, pool);
        if (d.node) {
          commitPlacement(spec, d.node);
          hosting.add(d.node.name);
          const replace = `replace:${filterName(code)}`;
          plan.push({
            node: d.node.name, key: keyFor(d.node.name), kind: spec.kind, target: 'started', source: 'spec', action: 'place_instance',
            reason: { code: replace, detail: clipDetail(`moved from ${e.node} (${code}); ${d.reason.code}: ${d.reason.detail}`) },
          });
          retire(e, { code: replace, detail: `moved to ${d.node.name} because ${e.node} fails ${code}` }, false);
        } else {
          hosting.add(e.node);
          plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'started', source: 'spec', reason: { code: 'hold:no-candidate', detail: clipDetail(`${e.node} fails ${code}, but ${d.reason.detail}`) } });
        }
      }
      while (hosting.size < spec.count) {
        const d = chooseNode(spec, viewList, hosting, pool);
        if (!d.node) {
          unplaced = d.reason;
          break;
        }
        commitPlacement(spec, d.node);
        hosting.add(d.node.name);
        plan.push({ node: d.node.name, key: keyFor(d.node.name), kind: spec.kind, target: 'started', reason: d.reason, action: 'place_instance', source: 'spec' });
      }
      hostingBySpec.set(id, [...hosting].sort());
      specState.set(id, spec.state === 'new' && (hosting.size > 0 || spec.count === 0) ? 'running' : spec.state);
    } else if (spec && STOP_STATES.has(state)) {
      for (const e of entries) {
        if (e.kind !== spec.kind) retire(e, { code: 'stop:kind-changed', detail: 'the spec changed between kernel and app' }, false);
        else if (e.started) {
          views.get(e.node)!.instances -= 1;
          plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'stopped', source: 'spec', action: 'stop_instance', reason: { code: 'stop:spec-stopped', detail: spec.enabled ? `spec state is "${spec.state}"` : 'the spec is disabled (enable: false)' } });
        } else plan.push({ node: e.node, key: e.key, kind: e.kind, target: 'stopped', source: 'spec', reason: keptReason(id, e.node) });
      }
      specState.set(id, spec.state);
    } else if (!spec || state === 'deleted') {
      const reason = spec ? { code: 'remove:spec-deleted', detail: 'spec state is "deleted"' } : { code: 'remove:spec-missing', detail: `no spec with id ${id} exists any more` };
      for (const e of entries) retire(e, reason, true);
    } else {
      for (const e of entries) plan.push({ node: e.node, key: e.key, kind: e.kind, target: e.started ? 'started' : 'stopped', source: 'as-is', entry: e, reason: lastReason(id, e.node, { code: 'keep:spec-state-unmanaged', detail: `spec state "${spec.state}" leaves instances as they are` }) });
      specState.set(id, spec.state);
    }

    const effective = specState.get(id);
    if (spec && effective !== undefined && effective !== spec.state) {
      writes[spec.key] = { action: 'set_by_path', all_set: { '/state': effective } };
      act('set_spec_state', id, { code: 'spec:placed', detail: `${spec.state} → ${effective}: instances are configured` });
    }
    const instances: SnapshotInstance[] = [];
    for (const p of plan.sort((a, b) => cmp(a.node, b.node) || cmp(a.key, b.key))) {
      if (p.action) act(p.action, instanceIdOf(id, p.node), p.reason);
      const target = nextEntries.get(p.node);
      if (p.drop || !target) continue;
      const value = p.source === 'spec' ? entryFromSpec(spec!, p.node, p.target, effective ?? spec!.state)
        : p.source === 'tombstone' ? tombstoneOf(p.entry!, !!p.removing) : p.entry!.value;
      (p.kind === 'kernel' ? target.kernel : target.apps)[p.key] = value;
      instances.push({ node: p.node, instance_id: instanceIdOf(id, p.node), target_state: p.target, reason: p.reason });
    }
    if (spec || instances.length > 0) {
      const placement: SnapshotPlacement = { kind: spec?.kind ?? kindOf(id), owner: spec?.owner ?? '', state: effective ?? spec?.state ?? 'missing', desired: spec && RUN_STATES.has(state) ? spec.count : 0, instances };
      if (unplaced) placement.unplaced = unplaced;
      placements[id] = placement;
    }
  }

  // ---- node configs ------------------------------------------------------------------------
  for (const node of configNodes) {
    const next = nextEntries.get(node)!;
    const current = Object.hasOwn(input.nodeConfigs, node) ? input.nodeConfigs[node] : undefined;
    const item = input.nodes[node];
    const config: NodeConfig = current
      ? { ...current, kernel: next.kernel as NodeConfig['kernel'], apps: next.apps as NodeConfig['apps'] }
      : { node_id: node, node_did: item?.did ?? `did:bns:${node}`, kernel: next.kernel as NodeConfig['kernel'], apps: next.apps as NodeConfig['apps'], frame_services: {}, state: 'running' };
    const key = nodeConfigKey(node);
    if (Object.hasOwn(input.currentNodeConfigs, key) && sameJson(config, input.currentNodeConfigs[key])) continue;
    writes[key] = { action: 'update', value: canonicalJson(config) };
    if (!current) act('create_node_config', key, { code: 'node:joined', detail: `${deviceInfoKey(node)} exists but ${nodeConfigKey(node)} did not` });
    else noteEntryUpdates(current, config, node, act);
  }

  // ---- service info ------------------------------------------------------------------------
  const serviceInfos = new Map<string, ServiceInfo>();
  const services: SchedulerSnapshot['services'] = {};
  const currentInfoIds = Object.keys(input.current).map(serviceOfInfoKey).filter((id): id is string => id !== undefined);
  for (const id of [...new Set([...Object.keys(input.specs), ...Object.keys(input.reports), ...currentInfoIds])].sort()) {
    const key = serviceInfoKey(id);
    if (!Object.hasOwn(input.specs, id) && !Object.hasOwn(input.reports, id)) {
      writes[key] = { action: 'remove' };
      act('remove_service_info', key, { code: 'remove:no-spec-no-report', detail: `neither services/${id}/spec nor any instance report exists` });
      continue;
    }
    const info = deriveServiceInfo(input.reports[id], input.nodes, now);
    serviceInfos.set(id, info);
    const live = Object.keys(info.node_list);
    services[id] = Object.fromEntries(live.map((n) => [n, info.node_list[n].service_port]));
    const text = canonicalJson(info);
    if (sameJsonValue(input.current[key], text)) continue;
    writes[key] = { action: 'update', value: text };
    act('update_service_info', key, live.length > 0
      ? { code: 'report:live-instances', detail: `live instances on ${live.join(', ')}` }
      : { code: 'report:no-live-instance', detail: 'no instance reports "started" with an unexpired expires_at or a fresh node heartbeat' });
  }

  // ---- RBAC tail ---------------------------------------------------------------------------
  const rbacNodes: Record<string, NodeType> = {};
  for (const name of Object.keys(input.nodes)) rbacNodes[name] = input.nodes[name].type;
  for (const ood of input.zone.oods) rbacNodes[ood] = 'ood';
  const policy = renderPolicy(
    deriveRbacLines({ users: Object.values(input.users), nodes: rbacNodes, specs: Object.values(input.specs) }),
    userManagedSection(input.current[RBAC_POLICY_KEY]),
  );
  if (policy !== input.current[RBAC_POLICY_KEY]) {
    writes[RBAC_POLICY_KEY] = { action: 'update', value: policy };
    act('update_rbac', RBAC_POLICY_KEY, { code: 'rbac:derived', detail: lineDiff(input.current[RBAC_POLICY_KEY] ?? '', policy) });
  }

  // ---- gateway info ------------------------------------------------------------------------
  const gatewayInfo = gatewayInfoRenderer(gatewayTables(input, hostingBySpec, serviceInfos, now), input.nodes);
  for (const node of configNodes) {
    const key = nodeGatewayInfoKey(node);
    const rendered = gatewayInfo(node);
    // Plain string comparison: what we wrote is canonical, and parsing every node's copy of the
    // zone-wide tables would cost more than the rare rewrite of a value someone else formatted.
    if (input.current[key] === rendered.text) continue;
    writes[key] = { action: 'update', value: rendered.text };
    act('update_gateway_info', key, { code: 'gateway:derived', detail: changedGatewaySections(input.current[key], rendered) });
  }

  // ---- snapshot ----------------------------------------------------------------------------
  const nodesView: SchedulerSnapshot['nodes'] = {};
  for (const v of viewList) nodesView[v.name] = { type: v.type, status: v.status, reason: v.statusReason };
  const body: SchedulerSnapshot = {
    format: 'buckyos.scheduler.snapshot.v1', rev: 0, schedule_time: 0, nodes: nodesView, placements, services, actions: [], actions_total: 0, skipped: input.skipped,
  };
  const { facts: _lastFacts, ...lastBody } = last ?? ({} as SchedulerSnapshot);
  const changed = Object.keys(writes).length > 0 || !last || !sameJson(body, { ...lastBody, rev: 0, schedule_time: 0, actions: [], actions_total: 0 });
  const snapshot = changed
    ? { ...body, rev: (last?.rev ?? 0) + 1, schedule_time: now, actions: actions.slice(0, MAX_SNAPSHOT_ACTIONS), actions_total: actions.length, facts: factsOf(input, viewList) }
    : last;
  return { actions, writes, snapshot, changed, nextDeadline: nextDeadlineOf(input, views, now) };
}

/** What the filters read, at the end of the pass (SchedulerSnapshot.facts). */
function factsOf(input: SchedulerInput, views: NodeView[]): NonNullable<SchedulerSnapshot['facts']> {
  const nodes: NonNullable<SchedulerSnapshot['facts']>['nodes'] = {};
  for (const v of views) {
    nodes[v.name] = {
      pool: v.pool, arch: v.item?.arch ?? '', os: v.item?.os ?? '', container: v.item?.supportContainer ?? false,
      total_mem: v.item?.totalMem ?? 0, free_mem: v.freeMem, instances: v.instances,
    };
  }
  const specs: NonNullable<SchedulerSnapshot['facts']>['specs'] = {};
  for (const id of Object.keys(input.specs).sort()) {
    const spec = input.specs[id];
    const doc = spec.kind === 'kernel' ? (spec.raw as KernelServiceSpec).service_doc : (spec.raw as AppServiceSpec).app_doc;
    const version = typeof doc?.version === 'string' ? doc.version : undefined;
    specs[id] = {
      key: spec.key, pool: spec.kind === 'app' ? input.users[spec.owner]?.resPool ?? 'default' : 'default',
      required_mem: spec.requiredMemory, count: spec.count, pkg_kinds: [...spec.pkgKinds].sort().slice(0, 16),
      ...(spec.nodeAffinity !== undefined && { affinity: spec.nodeAffinity }),
      ...(version !== undefined && { version }),
      // Without `state`: the pass itself moves it (new → running), and placements carry the effective one.
      digest: shortDigest(canonicalJson({ ...spec.raw, state: '' })),
    };
  }
  return { nodes, specs };
}

/** FNV-1a, 32 bits, hex: enough to tell that a spec changed between two snapshots (not a security check). */
function shortDigest(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function noteEntryUpdates(current: NodeConfig, next: NodeConfig, node: string, act: (t: ActionType, target: string, r: Reason) => void) {
  for (const field of ['kernel', 'apps'] as const) {
    const before = current[field] as Record<string, unknown>;
    const after = next[field] as unknown as Record<string, Json>;
    for (const key of Object.keys(after).sort()) {
      if (!Object.hasOwn(before, key)) continue;
      const prev = before[key] as Json;
      if (prev.target_state !== after[key].target_state) continue;
      if (!sameJson(prev, after[key])) {
        act('update_instance', field === 'kernel' ? `${key}@${node}` : key, { code: 'update:spec-changed', detail: `the spec changed since this instance was configured on ${node}` });
      }
    }
  }
}

/**
 * How the owner exposed an app on the zone gateway, from its spec like upstream's kernel specs:
 * `spec_config.expose_config.www` present → reachable from outside, `allow_guest: true` → public
 * (anyone), otherwise private (a session for the app). No `www` entry → not reachable from outside.
 */
function exposureOf(raw: { spec_config?: { expose_config?: Record<string, unknown> } }): 'public' | 'private' | undefined {
  const www = raw.spec_config?.expose_config?.www;
  if (www === null || typeof www !== 'object' || Array.isArray(www)) return undefined;
  return (www as { allow_guest?: unknown }).allow_guest === true ? 'public' : 'private';
}

function gatewayTables(input: SchedulerInput, hostingBySpec: Map<string, string[]>, infos: Map<string, ServiceInfo>, now: number): GatewayTables {
  const appInfo: Record<string, AppRoute | ServiceAlias> = {};
  for (const id of [...hostingBySpec.keys()].sort()) {
    const spec = input.specs[id];
    const hosts = hostingBySpec.get(id)!;
    if (spec.kind !== 'app' || hosts.length === 0) continue;
    // Route to an instance that is serving (its real port) before one that is still starting (the hint).
    const liveReport = (n: string) => {
      const r = input.reports[id]?.[n];
      return r && isLive(r, now) && r.ports.www !== undefined ? r : undefined;
    };
    const node = hosts.find((n) => liveReport(n)) ?? hosts[0];
    const port = liveReport(node)?.ports.www;
    const host = Object.hasOwn(appInfo, spec.appId) ? `${spec.appId}-${spec.owner}` : spec.appId;
    const exposed = exposureOf(spec.raw);
    const route: AppRoute = { app_id: spec.appId, access_mode: exposed ?? 'private', node_id: node, port: port ?? appPortHint(spec.appIndex), ...(exposed ? { exposed: true } : {}) };
    appInfo[host] = route;
  }
  for (const host of Object.keys(input.gatewayShortcuts).sort()) {
    const service = input.gatewayShortcuts[host];
    appInfo[host] = { service_id: service, selector: selectorOf(infos.get(service)) };
  }
  const serviceInfo: GatewayTables['serviceInfo'] = {};
  for (const [id, info] of [...infos.entries()].sort(([a], [b]) => cmp(a, b))) {
    if (input.specs[id]?.kind === 'app') continue;
    const selector = selectorOf(info);
    if (Object.keys(selector).length > 0) serviceInfo[id] = { selector };
  }
  return { zoneHost: input.zone.host, appInfo, serviceInfo };
}

function lineDiff(before: string, after: string): string {
  const a = new Set(before.split('\n').filter((l) => l && !l.startsWith('#')));
  const b = new Set(after.split('\n').filter((l) => l && !l.startsWith('#')));
  const added = [...b].filter((l) => !a.has(l));
  const removed = [...a].filter((l) => !b.has(l));
  const show = (list: string[]) => list.slice(0, 3).map((l) => `"${l}"`).join(', ') + (list.length > 3 ? ` and ${list.length - 3} more` : '');
  return [added.length ? `added ${show(added)}` : '', removed.length ? `removed ${show(removed)}` : ''].filter(Boolean).join('; ') || 'layout only';
}

function nextDeadlineOf(input: SchedulerInput, views: Map<string, NodeView>, now: number): number | undefined {
  let deadline: number | undefined;
  const consider = (t: number) => {
    if (t > now && (deadline === undefined || t < deadline)) deadline = t;
  };
  for (const byNode of Object.values(input.reports)) for (const r of Object.values(byNode)) if (isLive(r, now)) consider(r.liveUntil);
  for (const v of views.values()) if (v.item && v.status !== 'gone') consider(lastHeard(v.item, input) + input.goneAfterS);
  return deadline;
}
