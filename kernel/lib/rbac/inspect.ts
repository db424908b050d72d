// Permission previews over one Rbac (the enforcer system-config decides with): what a person, app or
// device may do over the zone's key areas and kRPC methods, who may act on one key, what a proposed
// policy change gains and loses for whom, and the policy tests kept with the policy. Every decision
// comes from Rbac.explain (casbin itself); this file only chooses which questions to ask.
//
// Key areas: a decision depends on a key's segments only through the policy's literal segments and
// the subject's own names (the model binds `{users}` etc. to the requesting subject, spec 60 §5.1).
// So every other segment is replaced by one representative per "which literals match it" class
// (written `{any}` when it matches none): the zone's thousands of keys collapse into a few dozen areas
// with exactly the decisions of the keys in them, and one casbin call answers each area.
import { configResource } from '../../api/keys.js';
import type {
  AreaDecision, Decision, SideDecision, MethodDecision, PermissionChange, PermissionPreview, PolicyDiff, PolicyTest, PolicyTestResult,
  PolicyTestsDoc, RbacAction, SubjectRef, WhoCan, WhoCanEntry,
} from '../../api/permissions.js';
import type { Rbac } from './rbac.js';
import { USER_CLIENT_APPIDS } from '../../api/rbac.js';

export const ANY_SEGMENT = '{any}';
const ACTIONS: readonly RbacAction[] = ['read', 'write'];
/** The app id a person's session carries in the control panel; a device's kernel speaks as node-daemon. */
export const PERSON_APP = USER_CLIENT_APPIDS.includes('control-panel') ? 'control-panel' : USER_CLIENT_APPIDS[0];
export const DEVICE_APP = 'node-daemon';

export interface SubjectIds {
  appId: string;
  userId: string;
  sudo: boolean;
}

export function subjectIds(ref: SubjectRef): SubjectIds {
  switch (ref.kind) {
    case 'person': return { appId: PERSON_APP, userId: ref.user, sudo: ref.sudo === true };
    case 'app': return { appId: ref.app, userId: ref.owner, sudo: false };
    case 'device': return { appId: DEVICE_APP, userId: ref.device, sudo: false };
  }
}

export const subjectLabel = (ref: SubjectRef): string =>
  (ref.kind === 'person' ? `${ref.user}${ref.sudo ? ' (sudo)' : ''}` : ref.kind === 'app' ? `${ref.app} (app of ${ref.owner})` : `${ref.device} (device)`);

const keepNames = (ids: SubjectIds) => [ids.appId, ids.userId, `su_${ids.userId}`];

// ---- key areas ---------------------------------------------------------------------------------

interface Literals {
  plain: Set<string>;
  patterns: RegExp[];
}

const literalCache = new WeakMap<Rbac, Map<string, Literals>>();

/**
 * The literal segments of the resource pattern of every `p` line that can apply to `names` (a line
 * whose subject is one of them; any other line never matches), placeholders and `*` excluded.
 */
function literalsOf(rbac: Rbac, names: ReadonlySet<string>): Literals {
  let byNames = literalCache.get(rbac);
  if (!byNames) literalCache.set(rbac, (byNames = new Map()));
  const cacheKey = [...names].sort().join(',');
  let hit = byNames.get(cacheKey);
  if (hit) return hit;
  const plain = new Set<string>();
  const regexes = new Map<string, RegExp>();
  for (const { rule } of rbac.rules) {
    if (rule.kind !== 'p' || !names.has(rule.sub)) continue;
    for (const seg of rule.obj.split('/')) {
      if (seg === '' || seg === '*' || /^\{[^/]+\}$/.test(seg)) continue;
      if (/^[A-Za-z0-9_:-]+$/.test(seg)) plain.add(seg);
      else if (!regexes.has(seg)) {
        try {
          regexes.set(seg, new RegExp(`^${seg}$`));
        } catch {
          // a malformed pattern matches nothing (casbin's keyMatch3 would throw and deny)
        }
      }
    }
  }
  hit = { plain, patterns: [...regexes.values()] };
  byNames.set(cacheKey, hit);
  return hit;
}

/** Both casbin subjects of `ids` and every group they reach: the only `p` lines that can apply. */
function reachable(rbac: Rbac, ids: SubjectIds): Set<string> {
  const user = ids.sudo ? `su_${ids.userId}` : ids.userId;
  return new Set([ids.appId, user, ...rbac.allGroupsOf(ids.appId), ...rbac.allGroupsOf(user)]);
}

/**
 * The area of a key for one subject: each segment below the top-level folder that is neither one of
 * the subject's names nor a literal of a line that can apply to it is replaced by its class representative.
 */
export function areaReducer(rbac: Rbac, ids: SubjectIds): (key: string) => string {
  const { plain, patterns } = literalsOf(rbac, reachable(rbac, ids));
  const kept = new Set(keepNames(ids));
  const classOf = new Map<string, string>();
  const representative = new Map<string, string>();
  const reduce = (seg: string): string => {
    if (seg === '' || kept.has(seg) || plain.has(seg)) return seg;
    let cls = classOf.get(seg);
    if (cls === undefined) {
      const signature = patterns.map((re) => (re.test(seg) ? '1' : '0')).join('');
      let rep = representative.get(signature);
      if (rep === undefined) {
        rep = signature.includes('1') ? seg : ANY_SEGMENT;
        representative.set(signature, rep);
      }
      cls = rep;
      classOf.set(seg, cls);
    }
    return cls;
  };
  // The top-level folder always stays (finer areas never change a decision): people read
  // "system/{any}/{any}" more easily than "{any}/{any}/{any}".
  return (key) => key.split('/').map((seg, i) => (i === 0 ? seg : reduce(seg))).join('/');
}

/** Groups keys into areas (see areaReducer): area → the key casbin is asked about and how many keys fall in it. */
export function keyAreas(rbac: Rbac, keys: Iterable<string>, ids: SubjectIds): Map<string, { key: string; keys: number; example: string }> {
  const areaOf = areaReducer(rbac, ids);
  const areas = new Map<string, { key: string; keys: number; example: string }>();
  for (const key of keys) {
    const area = areaOf(key);
    const a = areas.get(area);
    if (a) {
      a.keys += 1;
      if (key < a.example) a.example = key;
    } else areas.set(area, { key: area, keys: 1, example: key });
  }
  return areas;
}

// ---- kRPC methods ------------------------------------------------------------------------------

export interface MethodResource {
  service: string;
  method: string;
  /** A resource; `{self}` stands for the subject's user id. */
  resource: string;
  action: RbacAction;
}

/** The resource each kRPC method checks before it acts (the services' own checks, listed once here). */
export const METHOD_RESOURCES: readonly MethodResource[] = [
  { service: 'control-panel', method: 'zone.overview', resource: 'obj://config/system/scheduler/snapshot', action: 'read' },
  { service: 'control-panel', method: 'user.list', resource: 'obj://config/users/', action: 'read' },
  { service: 'control-panel', method: 'rbac.preview / rbac.who_can / rbac.check', resource: 'obj://config/system/rbac/policy', action: 'read' },
  { service: 'control-panel', method: 'rbac.save', resource: 'obj://config/system/rbac/policy', action: 'write' },
  { service: 'scheduler', method: 'get_snapshot / diff / explain / why_not', resource: 'obj://config/system/scheduler/snapshot', action: 'read' },
  { service: 'scheduler', method: 'refresh_rbac', resource: 'obj://config/system/scheduler/snapshot', action: 'write' },
  { service: 'app-manager', method: 'install_app / upgrade_app / uninstall_app', resource: 'obj://config/users/{self}/apps/{any}/spec', action: 'write' },
  { service: 'app-manager', method: 'list_apps', resource: 'obj://config/users/{self}/apps/{any}/spec', action: 'read' },
  { service: 'repo', method: 'list / versions / resolve', resource: 'obj://repo/*', action: 'read' },
  { service: 'repo', method: 'publish', resource: 'obj://repo/{any}', action: 'write' },
  { service: 'repo', method: 'set_sources / sync / gc', resource: 'obj://repo/*', action: 'write' },
  { service: 'system_config', method: 'sys_refresh_trust_keys', resource: 'obj://config/system/rbac/policy', action: 'read' },
  { service: 'system_config', method: 'dump_configs_for_scheduler', resource: 'obj://config/users/', action: 'read' },
];

// ---- questions ---------------------------------------------------------------------------------

const resourceOf = (key: string) => configResource(key);

export function decide(rbac: Rbac, ref: SubjectRef, key: string, action: RbacAction): Decision {
  return rbac.explain(subjectIds(ref), resourceOf(key), action);
}


/** What one subject may do over every area of `keys` and every listed kRPC method. */
export function previewSubject(rbac: Rbac, ref: SubjectRef, keys: Iterable<string>, policyRevision = 0): PermissionPreview {
  const ids = subjectIds(ref);
  const userSubject = ids.sudo ? `su_${ids.userId}` : ids.userId;
  const areas: AreaDecision[] = [];
  const byArea = keyAreas(rbac, keys, ids);
  for (const area of [...byArea.keys()].sort()) {
    const a = byArea.get(area)!;
    areas.push({ area, keys: a.keys, example: a.example, read: rbac.explain(ids, resourceOf(a.key), 'read'), write: rbac.explain(ids, resourceOf(a.key), 'write') });
  }
  const methods: MethodDecision[] = METHOD_RESOURCES.map((m) => {
    const resource = m.resource.replaceAll('{self}', ids.userId);
    return { service: m.service, method: m.method, resource, action: m.action, decision: rbac.explain(ids, resource, m.action) };
  });
  return {
    subject: ref, appSubject: ids.appId, userSubject,
    groups: { app: rbac.allGroupsOf(ids.appId), user: rbac.allGroupsOf(userSubject) },
    areas, methods, policyRevision,
  };
}

/**
 * Everyone in `subjects` who may (and may not) do `action` on `key`. A casbin subject that has no
 * line of its own and is not named in the key decides exactly as any other with the same groups, so
 * one casbin call answers each such class (1,000 apps in the `app` group: one call).
 */
export function whoCan(rbac: Rbac, subjects: readonly SubjectRef[], key: string, action: RbacAction): WhoCan {
  const resource = resourceOf(key);
  const segments = new Set(key.split('/'));
  const ownLines = new Set<string>();
  for (const { rule } of rbac.rules) if (rule.kind === 'p') ownLines.add(rule.sub);
  const byClass = new Map<string, SideDecision>();
  const side = (sub: string): SideDecision => {
    if (ownLines.has(sub) || segments.has(sub)) return rbac.explainSide(sub, resource, action);
    const cls = rbac.allGroupsOf(sub).join(',');
    let hit = byClass.get(cls);
    if (!hit) byClass.set(cls, (hit = rbac.explainSide(sub, resource, action)));
    return { ...hit, subject: sub };
  };
  const allowed: WhoCanEntry[] = [];
  const denied: WhoCanEntry[] = [];
  for (const subject of subjects) {
    const ids = subjectIds(subject);
    const app = side(ids.appId);
    const user = side(ids.sudo ? `su_${ids.userId}` : ids.userId);
    const decision = { allowed: app.allowed && user.allowed, app, user };
    (decision.allowed ? allowed : denied).push({ subject, decision });
    // A person refused who may do it after the sudo step (an admin changing the rules) is named as such:
    // "nobody may change the rules" would be wrong.
    if (!decision.allowed && subject.kind === 'person' && !ids.sudo && app.allowed) {
      const su = side(`su_${ids.userId}`);
      if (su.allowed) allowed.push({ subject: { ...subject, sudo: true }, decision: { allowed: true, app, user: su } });
    }
  }
  return { key, action, allowed, denied };
}

/** The names a subject's decisions depend on: its two casbin subjects and every group they reach. */
function namesOf(rbac: Rbac, ids: SubjectIds): Set<string> {
  const user = ids.sudo ? `su_${ids.userId}` : ids.userId;
  return new Set([ids.appId, user, ...rbac.allGroupsOf(ids.appId), ...rbac.allGroupsOf(user)]);
}

/** Lines present in one rule set and not the other. */
function changedLines(before: Rbac, after: Rbac): Array<{ names: string[] }> {
  const a = new Set(before.rules.map((r) => r.ref.line));
  const b = new Set(after.rules.map((r) => r.ref.line));
  const out: Array<{ names: string[] }> = [];
  for (const r of [...before.rules, ...after.rules]) {
    if (a.has(r.ref.line) && b.has(r.ref.line)) continue;
    out.push({ names: r.rule.kind === 'p' ? [r.rule.sub] : [r.rule.member, r.rule.group] });
  }
  return out;
}

/**
 * Who gains and who loses what, from `before` to `after`, over the areas of `keys`. Only subjects
 * whose own names or groups appear on a changed line can be affected, so only they are asked.
 */
export function diffPolicies(before: Rbac, after: Rbac, subjects: readonly SubjectRef[], keys: readonly string[]): PolicyDiff {
  const changed = changedLines(before, after);
  const touched = new Set(changed.flatMap((c) => c.names));
  const gains: PermissionChange[] = [];
  const losses: PermissionChange[] = [];
  let examined = 0;
  if (touched.size === 0) return { gains, losses, examined };
  for (const subject of subjects) {
    const ids = subjectIds(subject);
    const names = new Set([...namesOf(before, ids), ...namesOf(after, ids)]);
    if (![...names].some((n) => touched.has(n))) continue;
    examined += 1;
    const areas = new Map([...keyAreas(before, keys, ids), ...keyAreas(after, keys, ids)]);
    for (const area of [...areas.keys()].sort()) {
      const resource = resourceOf(areas.get(area)!.key);
      for (const action of ACTIONS) {
        const x = before.explain(ids, resource, action);
        const y = after.explain(ids, resource, action);
        if (x.allowed === y.allowed) continue;
        if (y.allowed) gains.push({ subject, area, action, ...(deciding(y) && { by: deciding(y) }) });
        else losses.push({ subject, area, action, ...(deciding(x) && { by: deciding(x) }) });
      }
    }
  }
  return { gains, losses, examined };
}

/** The line a person should look at: the refusing side's line for a deny, the user side's for an allow. */
export function deciding(d: Decision) {
  if (!d.allowed) return (!d.app.allowed ? d.app.by : d.user.by);
  return d.user.by ?? d.app.by;
}

// ---- policy tests ------------------------------------------------------------------------------

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

function checkRef(x: unknown, where: string): SubjectRef {
  const r = x as Record<string, unknown>;
  const name = (v: unknown, what: string) => {
    if (typeof v !== 'string' || !NAME_RE.test(v)) throw new Error(`${where}: ${what} must be a name (letters, digits, _ . : -)`);
    return v;
  };
  if (!r || typeof r !== 'object') throw new Error(`${where}: subject must be an object`);
  if (r.kind === 'person') return { kind: 'person', user: name(r.user, 'subject.user'), ...(r.sudo === true && { sudo: true }) };
  if (r.kind === 'app') return { kind: 'app', app: name(r.app, 'subject.app'), owner: name(r.owner, 'subject.owner') };
  if (r.kind === 'device') return { kind: 'device', device: name(r.device, 'subject.device') };
  throw new Error(`${where}: subject.kind must be person, app or device`);
}

/** Checks the shape of policy tests (stored text or kRPC params); throws a sentence naming the bad test. */
export function checkPolicyTests(value: unknown): PolicyTest[] {
  const list = (value as PolicyTestsDoc | undefined)?.tests ?? value;
  if (!Array.isArray(list)) throw new Error('policy tests must be {"tests": [...]}');
  if (list.length > 500) throw new Error('at most 500 policy tests');
  const names = new Set<string>();
  return list.map((t: Record<string, unknown>, i) => {
    const where = `policy test ${i + 1}`;
    if (!t || typeof t !== 'object') throw new Error(`${where} must be an object`);
    if (typeof t.name !== 'string' || t.name.trim() === '' || t.name.length > 200) throw new Error(`${where}: name must be a short sentence`);
    if (names.has(t.name)) throw new Error(`${where}: the name "${t.name}" is used twice`);
    names.add(t.name);
    if (typeof t.key !== 'string' || t.key === '' || t.key.length > 512 || t.key.includes('..') || t.key.startsWith('/')) throw new Error(`${where} ("${t.name}"): key must be a KV key like users/bob/settings`);
    if (t.action !== 'read' && t.action !== 'write') throw new Error(`${where} ("${t.name}"): action must be read or write`);
    if (t.expect !== 'allow' && t.expect !== 'deny') throw new Error(`${where} ("${t.name}"): expect must be allow or deny`);
    return { name: t.name, subject: checkRef(t.subject, `${where} ("${t.name}")`), key: t.key, action: t.action, expect: t.expect };
  });
}

/** The stored text of `system/rbac/tests` as tests; absent means none. */
export function parsePolicyTests(text: string | undefined): PolicyTest[] {
  if (text === undefined || text.trim() === '') return [];
  return checkPolicyTests(JSON.parse(text));
}

export function runPolicyTests(rbac: Rbac, tests: readonly PolicyTest[]): PolicyTestResult[] {
  return tests.map((test) => {
    const decision = decide(rbac, test.subject, test.key, test.action);
    return { name: test.name, passed: decision.allowed === (test.expect === 'allow'), decision, test };
  });
}

/** A sentence for a failed test, as the refusal of a save says it. */
export function describeFailure(r: PolicyTestResult): string {
  const line = deciding(r.decision);
  const got = r.decision.allowed ? 'allowed' : 'denied';
  return `the policy test "${r.name}" fails: ${subjectLabel(r.test.subject)} would be ${got} ${r.test.action} on ${r.test.key} (expected ${r.test.expect})${line ? `, decided by "${line.line}"` : ', no line matches'}`;
}

// ---- what system-config lends the control panel --------------------------------------------------

/** The policy in force and the zone's key names, from system-config (in the same process). */
export interface PolicyInspector {
  /** The Rbac system-config decides with right now. */
  current(): Rbac;
  /** The stored policy with `userManaged` as the owner's section, built the same way (not in force). */
  candidate(userManaged: string): Promise<Rbac>;
  /** Every KV key name (never values). */
  keys(): string[];
}

const PERSON_KEY = /^users\/([^/]+)\/settings$/;
const APP_KEY = /^users\/([^/]+)\/apps\/([^/]+)\/spec$/;
const DEVICE_KEY = /^devices\/([^/]+)\/doc$/;

/** The people, apps and devices of a zone, read off its key names. */
export function subjectsOf(keys: Iterable<string>): SubjectRef[] {
  const people: SubjectRef[] = [];
  const apps: SubjectRef[] = [];
  const devices: SubjectRef[] = [];
  for (const key of keys) {
    let m = PERSON_KEY.exec(key);
    if (m) people.push({ kind: 'person', user: m[1] });
    else if ((m = APP_KEY.exec(key))) apps.push({ kind: 'app', app: m[2], owner: m[1] });
    else if ((m = DEVICE_KEY.exec(key))) devices.push({ kind: 'device', device: m[1] });
  }
  const byLabel = (a: SubjectRef, b: SubjectRef) => subjectLabel(a).localeCompare(subjectLabel(b));
  return [...people.sort(byLabel), ...apps.sort(byLabel), ...devices.sort(byLabel)];
}
