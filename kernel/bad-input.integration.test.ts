// Bad input against every HTTP surface of a real OOD (a `buckyos ood` child process), all through the
// gateway: each kRPC service's declared params with wrong types, path tricks, prototype keys, huge
// values and bodies; forged, expired and wrong-zone tokens; the repo's upload and chunk routes (with
// archives that climb out); the gateway's own routing; and, on a second fresh OOD, the activation
// server including a replayed activation. Every answer must be a clear structured error without a
// stack trace, the OODs must stay up, and the zone's KV must be unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { GATEWAY_SECRET_FILE } from './lib/gateway-secret.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { login, type ZoneSession } from './cli/session.js';
import { signJwt } from './lib/identity/jwt.js';
import { KrpcClient } from './lib/krpc/client.js';
import { isKrpcError } from './lib/errors.js';
import { generateEd25519 } from './lib/identity/keys.js';
import { dataPaths } from './lib/paths.js';
import { rawTar } from './pkg/test-fixtures.js';
import {
  activatedOod, cli, pollUntil, randomLoopback, repoRoot, spawnOod, tempDir, waitForPort, TEST_PASSWORD, type NodeProcess,
} from './testing/harness.js';

interface Reply { status: number; type: string; text: string }

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One raw HTTP exchange; an answer that arrives before the whole body was sent still counts. */
function send(host: string, port: number, path: string, opts: { method?: string; body?: string | Buffer; headers?: Record<string, string>; ownSocket?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host, port, path, method: opts.method ?? 'POST', agent: opts.ownSocket ? false : agent, headers: opts.headers }, (res) => {
      answered = true;
      // A body shorter than its declared length leaves the connection mid-request: never reuse it.
      if (opts.ownSocket) res.on('end', () => req.destroy());
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(parts).toString() }));
      res.on('error', reject);
    });
    req.on('error', (e) => { if (!answered) reject(new Error(`${opts.method ?? 'POST'} ${path.slice(0, 80)}: ${e.message}`)); });
    req.setTimeout(15_000, () => req.destroy(new Error('no answer within 15 s')));
    const body = typeof opts.body === 'string' ? Buffer.from(opts.body) : opts.body;
    if (!body || body.length <= 1024 * 1024) return req.end(body);
    // Big bodies go out piece by piece and stop once the server has answered, as a browser's would.
    req.setHeader('content-length', body.length);
    let at = 0;
    const pump = () => {
      while (!answered && at < body.length) {
        const piece = body.subarray(at, at + 64 * 1024);
        at += piece.length;
        if (!req.write(piece)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

const json = { 'content-type': 'application/json' };
const STACK_SIGNS = [/\n\s+at /, /\bat [\w$.<>]+ \(/, /\.ts:\d+/, /\.js:\d+:\d+/, /node:internal/, /node_modules/, /Error: .*\n/];

/**
 * The answer is a structured refusal: HTTP 200 (kRPC) or 4xx (503 where `allow503`), a JSON
 * `error` "<CODE>: <message>" that is not INTERNAL (or the gateway's HTML error page), no stack
 * trace and no file path of ours.
 */
function assertRefusal(what: string, r: Reply, opts: { allow503?: boolean; codes?: RegExp; leakPaths: string[] }): void {
  const ctx = `${what} → ${r.status} ${r.text.slice(0, 300)}`;
  assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500) || (opts.allow503 && r.status === 503), `status: ${ctx}`);
  for (const sign of STACK_SIGNS) assert.doesNotMatch(r.text, sign, `stack trace: ${ctx}`);
  for (const p of opts.leakPaths) assert.ok(!r.text.includes(p), `file path ${p} leaked: ${ctx}`);
  if (r.type.startsWith('text/html')) {
    assert.ok(r.status >= 400, `HTML is only for error pages: ${ctx}`);
    return;
  }
  let body: { error?: unknown; result?: unknown };
  try {
    body = JSON.parse(r.text);
  } catch {
    assert.fail(`body is not JSON: ${ctx}`);
  }
  assert.equal(typeof body.error, 'string', `no error string: ${ctx}`);
  assert.match(body.error as string, /^[A-Z_]+: \S/, `error shape: ${ctx}`);
  assert.doesNotMatch(body.error as string, /^INTERNAL:/, `internal error for bad input: ${ctx}`);
  if (opts.codes) assert.match(body.error as string, opts.codes, `error code: ${ctx}`);
}

// ---- the bad values ----------------------------------------------------------------------------

const LONG = 'x'.repeat(100_000);
const protoKeys = () => JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as object;
const PATH_TRICKS = ['../../etc/passwd', '..%2f..%2fetc%2fpasswd', '/etc/passwd', 'a\u0000b', 'a//b', '..', '.', 'C:\\Windows\\system32', 'users/alice/../../boot/config'];
const WRONG_TYPES: Record<Kind, unknown[]> = {
  // identifiers, names, keys, tokens: bounded strings with a shape
  id: [12345, -1, {}, protoKeys(), [], ['x'], null, true, LONG, ...PATH_TRICKS],
  // free text (KV values): only the type is checked
  text: [12345, {}, protoKeys(), [], null, true],
  int: ['1', -1, 1.5, 2 ** 64, -(2 ** 63), 1e308, {}, protoKeys(), [], null, true, LONG],
  bool: ['true', 1, {}, protoKeys(), null],
  obj: ['x', 1, [], null, true, LONG],
  arr: ['x', 1, {}, protoKeys(), null, true],
};
type Kind = 'id' | 'text' | 'int' | 'bool' | 'obj' | 'arr';

const isWellFormedKey = (v: unknown) =>
  typeof v === 'string' && v.length <= 512 && !/[\u0000-\u001f\\]/.test(v) && !v.replace(/^\/+/, '').split('/').some((s) => s === '' || s === '.' || s === '..');

/** A method's declared params: a well-formed sample for each and its kind. Each case breaks exactly one param. */
interface MethodSpec { params: Record<string, [sample: unknown, kind: Kind]> }
const PROBE_KEY = 'users/alice/bad-input-probe';

const SERVICES: Record<string, Record<string, MethodSpec>> = {
  system_config: {
    sys_config_get: { params: { key: [PROBE_KEY, 'id'] } },
    sys_config_set: { params: { key: [PROBE_KEY, 'id'], value: ['v', 'text'] } },
    sys_config_create: { params: { key: [PROBE_KEY, 'id'], value: ['v', 'text'] } },
    sys_config_delete: { params: { key: [PROBE_KEY, 'id'] } },
    sys_config_append: { params: { key: [PROBE_KEY, 'id'], append_value: ['v', 'text'] } },
    sys_config_set_by_json_path: { params: { key: [PROBE_KEY, 'id'], json_path: ['/a', 'id'], value: ['1', 'text'] } },
    sys_config_list: { params: { key: ['users/alice', 'id'] } },
    sys_config_exec_tx: { params: { actions: [{ [PROBE_KEY]: { action: 'create', value: 'v' } }, 'obj'], main_key: [{ key: PROBE_KEY, revision: 0 }, 'obj'], conditions: [[], 'arr'] } },
    dump_configs_for_scheduler: { params: {} },
    sys_refresh_trust_keys: { params: {} },
    sys_config_watch: { params: { key: [PROBE_KEY, 'id'], revision: [0, 'int'], timeout_ms: [10, 'int'] } },
  },
  verify_hub: {
    login_by_password: { params: { username: ['nobody', 'id'], password: ['wrong', 'id'], appid: ['buckycli', 'id'], app_instance_id: ['i1', 'id'], login_nonce: [1, 'int'] } },
    login_by_jwt: { params: { jwt: ['a.b.c', 'id'], app_instance_id: ['i1', 'id'] } },
    refresh_token: { params: { refresh_token: ['a.b.c', 'id'] } },
    logout: { params: { refresh_token: ['a.b.c', 'id'] } },
    verify_token: { params: { session_token: ['a.b.c', 'id'], appid: ['buckycli', 'id'], app_instance_id: ['i1', 'id'] } },
  },
  scheduler: {
    get_snapshot: { params: { rev: [0, 'int'] } },
    diff: { params: { from: [0, 'int'], to: [0, 'int'] } },
    explain: { params: { spec_id: ['nope', 'id'] } },
    refresh_rbac: { params: {} },
  },
  repo: {
    list: { params: {} },
    versions: { params: { name: ['nope', 'id'] } },
    get_meta: { params: { id: ['nope', 'id'] } },
    resolve: { params: { id: ['nope', 'id'], include_unready: [false, 'bool'] } },
    prepare_ready: { params: { id: ['nope', 'id'] } },
    set_sources: { params: { sources: [[], 'arr'] } },
    sync: { params: {} },
    gc: { params: { keep: [{}, 'obj'] } },
    stats: { params: {} },
  },
  app_manager: {
    install_app: { params: { name: ['nope', 'id'], version: ['1.0.0', 'id'], node: ['ood1', 'id'], installation_id: ['nope', 'id'], health_timeout_s: [5, 'int'] } },
    upgrade_app: { params: { installation_id: ['nope', 'id'], version: ['1.0.0', 'id'], health_timeout_s: [5, 'int'] } },
    rollback_app: { params: { installation_id: ['nope', 'id'], keep_data: [true, 'bool'], health_timeout_s: [5, 'int'] } },
    gc_packages: { params: {} },
    uninstall_app: { params: { installation_id: ['nope', 'id'] } },
    list_apps: { params: {} },
    get_task: { params: { task_id: ['nope', 'id'] } },
  },
};

/**
 * Bodies that are wrong before any method is looked at (the method name is spliced in), plus
 * wrong-typed `params` as a whole. A `null` params means "no params" on the wire, so it is left out.
 */
const envelopeAttacks = (method: string): [string, string | Buffer][] => [
  ['malformed JSON', `{"method":"${method}","params":`],
  ['NaN literal', `{"method":"${method}","params":{"key":NaN}}`],
  ['empty body', ''],
  ['JSON array', `[{"method":"${method}","params":{}}]`],
  ['JSON string', '"hello"'],
  ['JSON null', 'null'],
  ['method as number', '{"method":42,"params":{}}'],
  ['method too long', JSON.stringify({ method: LONG, params: {} })],
  ['unknown method', '{"method":"no_such_method","params":{}}'],
  ['prototype method', '{"method":"__proto__","params":{}}'],
  ['constructor method', '{"method":"constructor","params":{}}'],
  ['toString method', '{"method":"toString","params":{}}'],
  ['sys as object', `{"method":"${method}","params":{},"sys":{"0":1}}`],
  ['params number', `{"method":"${method}","params":5}`],
  ['params string', `{"method":"${method}","params":"x"}`],
  ['params array', `{"method":"${method}","params":[1,2]}`],
  ['params true', `{"method":"${method}","params":true}`],
  ['deep nesting', `{"method":"${method}","params":${'['.repeat(200_000)}${']'.repeat(200_000)}}`],
  ['invalid UTF-8', Buffer.concat([Buffer.from(`{"method":"${method}","params":{"key":"`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')])],
];

// ---- the OODs and their KV ---------------------------------------------------------------------

let ood: NodeProcess;
let oodDir: { remove(): Promise<void> };
let session: ZoneSession;
let fresh: NodeProcess | undefined;
let freshDir: { path: string; remove(): Promise<void> } | undefined;
let kvBefore: Map<string, string>;
let repoTreeBefore: string[];
let leakPaths: string[];

// Keys the running zone rewrites by itself (liveness reports, the scheduler's snapshots and the
// verify-hub's session and replay records): they move with time, not with our input.
const VOLATILE = [/^devices\/[^/]+\/info$/, /^services\/[^/]+\/instances\//, /^nodes\/[^/]+\/(?:info|status|report|heartbeat)/, /^system\/scheduler\//, /^system\/verify-hub\/(?:sessions|replay)\//, /^services\/verify-hub\/(?:sessions|replay)\//];

/** Keys a path trick that slipped through would have written outside the dumped prefixes. */
const TRICK_KEYS = ['etc/passwd', 'a/b', 'a//b', 'a', '__proto__', 'constructor', 'boot/config/..', 'C:\\Windows\\system32'];

/**
 * The zone configuration as the scheduler sees it (dump_configs_for_scheduler, with a token signed by
 * the OOD's own device key from its data folder), plus the trick keys, minus what moves by itself.
 */
async function kvSnapshot(): Promise<Map<string, string>> {
  const paths = dataPaths(ood.dataDir);
  const deviceName = (JSON.parse(await readFile(paths.nodeIdentity, 'utf8')) as { device_name: string }).device_name;
  const nowS = Math.floor(Date.now() / 1000);
  const token = await signJwt({ iss: deviceName, sub: deviceName, appid: 'node-daemon', jti: `snap-${nowS}-${Math.random()}`, iat: nowS, exp: nowS + 300 }, await readFile(paths.deviceKey, 'utf8'), deviceName);
  const kv = new KrpcClient(`http://${ood.host}:3180/kapi/system_config`, { token });
  const out = new Map(Object.entries(await kv.call<Record<string, string>>('dump_configs_for_scheduler', {})));
  for (const key of TRICK_KEYS) {
    // A refusal is part of the snapshot; a read that did not get through (a timeout, the zone busy) is
    // not, and is asked again rather than compared by its wording.
    let entry: { value: string } | null | undefined;
    for (let attempt = 1; entry === undefined; attempt++) {
      entry = await kv.call<{ value: string } | null>('sys_config_get', { key }).catch((e: unknown) => {
        if (attempt < 3 && (isKrpcError(e, 'TIMEOUT') || isKrpcError(e, 'UNAVAILABLE'))) return undefined;
        return { value: `refused: ${(e as Error).message}` };
      });
    }
    out.set(`trick:${key}`, entry === null ? '(none)' : entry.value);
  }
  for (const key of [...out.keys()]) if (VOLATILE.some((re) => re.test(key))) out.delete(key);
  return out;
}

async function treeSnapshot(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const p = join(rel, e.name);
    if (e.isDirectory()) out.push(`${p}/`, ...(await treeSnapshot(dir, p)));
    else out.push(`${p} ${(await stat(join(dir, p))).size}`);
  }
  return out.sort();
}

async function assertAlive(node: NodeProcess, what: string): Promise<void> {
  assert.equal(node.child.exitCode, null, `${what}: the OOD exited\n${node.log().slice(-2000)}`);
  assert.equal(node.child.signalCode, null, `${what}: the OOD was killed\n${node.log().slice(-2000)}`);
  const r = await send(node.host, 3180, '/health', { method: 'GET' });
  assert.equal(r.status, 200, `${what}: /health answers ${r.status} ${r.text}`);
  assert.equal(JSON.parse(r.text).ok, true);
}

/** Runs `jobs` a few at a time, in order. */
async function inBatches<T>(items: T[], width: number, job: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(job));
}

before(async () => {
  const a = await activatedOod();
  ood = a.ood;
  oodDir = a.dir;
  leakPaths = [repoRoot, a.dir.path];
  session = await login({ zone: a.env.BUCKYOS_ZONE, user: 'alice', password: TEST_PASSWORD });
  // The first scheduler pass writes the services' info; after it the configuration holds still.
  await pollUntil('the first scheduler snapshot', () => session.client('scheduler').call('get_snapshot', {}), { timeoutMs: 20_000, context: ood.log });
  // Under load the first passes take a while: wait generously, and say what kept moving if it never settles.
  let moving = '';
  kvBefore = await pollUntil('the zone configuration to settle', async () => {
    try {
      const a = await kvSnapshot();
      await sleep(300);
      const b = await kvSnapshot();
      const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
      moving = `keys still changing: ${changed.slice(0, 10).join(', ')}`;
      return changed.length === 0 ? b : undefined;
    } catch (e) {
      moving = `the snapshot failed: ${(e as Error).message}`;
      return undefined;
    }
  }, { timeoutMs: 90_000, context: () => `${moving}\n${ood.log().slice(-3000)}` });
  repoTreeBefore = await treeSnapshot(dataPaths(a.dir.path).repo);
});

after(async () => {
  agent.destroy();
  await ood?.kill();
  await fresh?.kill();
  await oodDir?.remove();
  await freshDir?.remove();
});

// ---- kRPC services through the gateway ---------------------------------------------------------

for (const [service, methods] of Object.entries(SERVICES)) {
  test(`${service}: malformed envelopes and wrong-typed params are refused, with and without a token`, async () => {
    const path = `/kapi/${service}`;
    const call = (body: string | Buffer, token?: string) => {
      const sys = token === undefined ? '' : `,"sys":[1,${JSON.stringify(token)}]`;
      const spliced = sys && typeof body === 'string' && !body.includes('"sys"') && body.startsWith('{"method"') && body.endsWith('}') ? `${body.slice(0, -1)}${sys}}` : body;
      return send(ood.host, 3180, path, { body: spliced, headers: json });
    };
    const cases: [string, string | Buffer, boolean?][] = [];
    for (const [method, spec] of Object.entries(methods)) {
      for (const [name, body] of envelopeAttacks(method)) cases.push([`${method} ${name}`, body]);
      const sample = Object.fromEntries(Object.entries(spec.params).map(([k, [v]]) => [k, v]));
      for (const [param, [, kind]] of Object.entries(spec.params)) {
        WRONG_TYPES[kind].forEach((bad, i) => {
          const params = { ...sample };
          Object.defineProperty(params, param, { value: bad, enumerable: true, writable: true, configurable: true });
          // A watch on a well-formed key (`%` and a leading `/` are fine in KV keys) is a valid call
          // that must simply see nothing the caller may not read.
          const validWatch = method === 'sys_config_watch' && param === 'key' && isWellFormedKey(bad);
          cases.push([`${method} ${param}=${kind}#${i}`, JSON.stringify({ method, params }), validWatch]);
        });
      }
    }
    for (const token of [undefined, session.sessionToken]) {
      await inBatches(cases, 8, async ([what, body, validWatch]) => {
        const r = await call(body, token);
        if (validWatch && token && r.status === 200 && 'result' in JSON.parse(r.text)) {
          assert.deepEqual(JSON.parse(r.text).result.changes, [], `${what}: a watch shows nothing`);
          return;
        }
        assertRefusal(`${path} ${what}${token ? ' (token)' : ''}`, r, { leakPaths });
      });
      await assertAlive(ood, `after the ${service} batch`);
    }

    // A 10 MB body is refused at the door (413) and neither the service nor the gateway falls over.
    const huge = JSON.stringify({ method: Object.keys(methods)[0], params: { key: 'k', value: 'v'.repeat(10 * 1024 * 1024) }, sys: [1, session.sessionToken] });
    const r = await send(ood.host, 3180, path, { body: huge, headers: json });
    assert.equal(r.status, 413, r.text.slice(0, 200));
    assertRefusal(`${path} 10 MB body`, r, { leakPaths, codes: /^PAYLOAD_TOO_LARGE: / });
    for (const [what, headers] of [['text/plain', { 'content-type': 'text/plain' }], ['no content type', {}]] as const) {
      assertRefusal(`${path} ${what}`, await send(ood.host, 3180, path, { body: '{"method":"x"}', headers }), { leakPaths });
    }
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const g = await send(ood.host, 3180, path, { method });
      assert.ok(g.status === 404 || g.status === 405, `${method} ${path} → ${g.status}`);
      assertRefusal(`${method} ${path}`, g, { leakPaths });
    }
    await assertAlive(ood, `after the ${service} envelope batch`);
  });
}

test('forged, expired, wrong-zone and malformed tokens are refused on every service', async () => {
  const real = session.sessionToken;
  const [head, payload, sig] = real.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const reencode = (c: object) => Buffer.from(JSON.stringify(c)).toString('base64url');
  const nowS = Math.floor(Date.now() / 1000);
  const deviceKeyPem = await readFile(dataPaths(ood.dataDir).deviceKey, 'utf8');
  const deviceName = (JSON.parse(await readFile(dataPaths(ood.dataDir).nodeIdentity, 'utf8')) as { device_name: string }).device_name;
  const tokens: [string, string][] = [
    ['tampered payload (sub=root)', `${head}.${reencode({ ...claims, sub: 'root' })}.${sig}`],
    ['tampered payload (exp +1 day)', `${head}.${reencode({ ...claims, exp: claims.exp + 86_400 })}.${sig}`],
    ['signature stripped', `${head}.${payload}.`],
    ['alg none', `${reencode({ alg: 'none', typ: 'JWT' })}.${payload}.`],
    ['signed by a stranger as verify-hub', await signJwt({ ...claims }, generateEd25519().privateKeyPem, 'verify-hub')],
    ['stranger claims to be the owner', await signJwt({ iss: 'alice', sub: 'alice', appid: 'buckycli', jti: '1', exp: nowS + 600 }, generateEd25519().privateKeyPem)],
    ['expired device token', await signJwt({ iss: deviceName, sub: deviceName, appid: 'node-daemon', jti: 'x1', iat: nowS - 7200, exp: nowS - 3600 }, deviceKeyPem, deviceName)],
    ['device token for another zone', await signJwt({ iss: 'ood1', sub: 'ood1', appid: 'node-daemon', jti: 'x2', iat: nowS, exp: nowS + 600, zone: 'did:web:elsewhere.test' }, generateEd25519().privateKeyPem, 'ood1')],
    ['not a JWT', 'hello'],
    ['huge', LONG],
    ['path-like', '../../etc/passwd'],
    ['NUL', 'a.b\u0000.c'],
  ];
  const probes: [string, string, object][] = [
    ['system_config', 'sys_config_get', { key: 'boot/config' }],
    ['system_config', 'sys_config_set', { key: PROBE_KEY, value: 'forged' }],
    ['system_config', 'dump_configs_for_scheduler', {}],
    ['scheduler', 'get_snapshot', {}],
    ['repo', 'list', {}],
    ['repo', 'set_sources', { sources: [] }],
    ['app_manager', 'list_apps', {}],
    ['app_manager', 'gc_packages', {}],
  ];
  const denial = /^(UNAUTHENTICATED|TOKEN_EXPIRED|PERMISSION_DENIED): /;
  for (const [tname, token] of tokens) {
    for (const [service, method, params] of probes) {
      const r = await send(ood.host, 3180, `/kapi/${service}`, { body: JSON.stringify({ method, params, sys: [1, token] }), headers: json });
      // The app-manager takes small bodies only, so the 100 kB token is refused at its door.
      assertRefusal(`${service}.${method} with ${tname}`, r, { leakPaths, codes: tname === 'huge' ? /^(UNAUTHENTICATED|PAYLOAD_TOO_LARGE): / : denial });
    }
    for (const [method, params] of [['verify_token', { session_token: token }], ['refresh_token', { refresh_token: token }], ['login_by_jwt', { jwt: token }]] as const) {
      const r = await send(ood.host, 3180, '/kapi/verify_hub', { body: JSON.stringify({ method, params }), headers: json });
      assertRefusal(`verify_hub.${method} with ${tname}`, r, { leakPaths, codes: /^(UNAUTHENTICATED|TOKEN_EXPIRED|INVALID_PARAMS|PERMISSION_DENIED|PAYLOAD_TOO_LARGE): / });
    }
    // Node's client cannot put a NUL into a header at all.
    for (const path of tname === 'NUL' ? [] : ['/kapi/repo/chunk/' + '0'.repeat(64), '/kapi/repo/upload?name=evil']) {
      const r = await send(ood.host, 3180, path, { method: path.includes('upload') ? 'PUT' : 'GET', headers: { authorization: `Bearer ${token}` }, body: path.includes('upload') ? 'x' : undefined });
      // A 100 kB Authorization header is over Node's header limit: 431 from the gateway, no body.
      if (tname === 'huge' && r.status === 431) continue;
      assert.ok([400, 401, 403].includes(r.status), `${path} with ${tname} → ${r.status} ${r.text}`);
      assertRefusal(`${path} with ${tname}`, r, { leakPaths, codes: denial });
    }
  }
  await assertAlive(ood, 'after the token batch');
});

// ---- the repo's plain HTTP routes ---------------------------------------------------------------

test('repo upload and chunk routes refuse bad names, archives that climb out, bad ranges and bad chunk batches, storing nothing', async () => {
  const auth = { authorization: `Bearer ${session.sessionToken}` };
  const upload = (name: string, body: Buffer | string, headers: Record<string, string> = auth) =>
    send(ood.host, 3180, `/kapi/repo/upload?name=${name}`, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream', ...headers } });

  for (const name of ['..%2F..%2Fetc', '%2Fetc%2Fpasswd', 'a%00b', 'a%2F%2Fb', '..', encodeURIComponent(LONG.slice(0, 5000)), '', '__proto__', 'constructor&name=x']) {
    for (const headers of [{}, auth]) {
      const r = await upload(name, 'not a pkg', headers);
      assert.ok(r.status >= 400 && r.status < 500, `upload name=${name.slice(0, 40)} → ${r.status}`);
      assertRefusal(`upload name=${name.slice(0, 40)}`, r, { leakPaths });
    }
  }
  const marker = `bad-input-${process.pid}`;
  const payload = Buffer.from('#!/bin/sh\necho pwned\n');
  const archives: [string, Buffer][] = [
    ['not a pkg at all', Buffer.from('not a pkg at all')],
    ['empty', Buffer.alloc(0)],
    ['climbs out', rawTar([{ path: `../../${marker}.sh`, data: payload }])],
    ['absolute path', rawTar([{ path: `/tmp/${marker}.sh`, data: payload }])],
    ['symlink out', rawTar([{ path: 'chunks/x', type: 'SymbolicLink', linkpath: '/etc/passwd' }])],
    ['hard link out', rawTar([{ path: 'meta.json', type: 'Link', linkpath: '../../../etc/passwd' }])],
    ['device node', rawTar([{ path: 'meta.json', type: 'CharacterDevice' }])],
    ['meta that is not JSON', rawTar([{ path: 'meta.json', data: Buffer.from('{"name":') }, { path: 'meta.sig', data: Buffer.from('a.b.c') }])],
    ['meta with prototype keys', rawTar([{ path: 'meta.json', data: Buffer.from('{"__proto__":{"name":"evil"},"name":"evil","files":[{"path":"../x"}]}') }, { path: 'meta.sig', data: Buffer.from('a.b.c') }])],
    ['10 MB of zeros', Buffer.alloc(10 * 1024 * 1024)],
  ];
  for (const [what, body] of archives) {
    const r = await upload('evil', body);
    assert.ok(r.status >= 400 && r.status < 500, `${what} → ${r.status} ${r.text}`);
    assertRefusal(`upload ${what}`, r, { leakPaths, codes: /^(INVALID_PARAMS|INTEGRITY|PAYLOAD_TOO_LARGE|PERMISSION_DENIED): / });
  }
  const tooBig = await send(ood.host, 3180, '/kapi/repo/upload?name=evil', { method: 'PUT', body: 'x', ownSocket: true, headers: { ...auth, 'content-length': String(64 * 1024 ** 3) } });
  assert.ok(tooBig.status === 413 || tooBig.status === 400, `declared 64 GiB → ${tooBig.status}`);

  for (const sha of ['%zz', '../../etc/passwd', '..%2F..%2Fetc%2Fpasswd', 'ABC', '0'.repeat(63), '0'.repeat(64) + '%00', '%2e%2e', 'x'.repeat(5000)]) {
    const r = await send(ood.host, 3180, `/kapi/repo/chunk/${sha}`, { method: 'GET', headers: auth });
    assert.ok(r.status >= 400 && r.status < 500, `chunk ${sha.slice(0, 40)} → ${r.status}`);
    assert.doesNotMatch(r.text, /root:/);
    assertRefusal(`chunk ${sha.slice(0, 40)}`, r, { leakPaths });
  }
  for (const range of ['bytes=abc', 'bytes=-', 'bytes=5-1', 'bytes=0-1,2-3', `bytes=${'9'.repeat(400)}-`]) {
    const r = await send(ood.host, 3180, `/kapi/repo/chunk/${'a'.repeat(64)}`, { method: 'GET', headers: { ...auth, range } });
    assertRefusal(`chunk range ${range.slice(0, 20)}`, r, { leakPaths });
  }

  const sha = 'a'.repeat(64);
  const batches: [string, string, Record<string, string>, RegExp][] = [
    ['bad JSON', '{"chunks": [', { ...auth, ...json }, /^INVALID_PARAMS: /],
    ['not JSON at all', 'chunks=aaaa', { ...auth, 'content-type': 'text/plain' }, /^INVALID_PARAMS: /],
    ['a bare list', JSON.stringify([sha]), { ...auth, ...json }, /^INVALID_PARAMS: /],
    ['ids that are not a list', '{"chunks": "aaaa"}', { ...auth, ...json }, /^INVALID_PARAMS: /],
    ['an empty list', '{"chunks": []}', { ...auth, ...json }, /^INVALID_PARAMS: /],
    ['65 ids', JSON.stringify({ chunks: Array(65).fill(sha) }), { ...auth, ...json }, /^INVALID_PARAMS: at most 64/],
    ['100 kB of ids', JSON.stringify({ chunks: Array(1500).fill(sha) }), { ...auth, ...json }, /^PAYLOAD_TOO_LARGE: /],
    ['prototype keys', '{"__proto__": {"chunks": ["../../etc/passwd"]}, "constructor": {"prototype": {"chunks": []}}}', { ...auth, ...json }, /^INVALID_PARAMS: /],
    ...[...PATH_TRICKS, 'A'.repeat(64), '0'.repeat(63), sha + '\u0000', LONG.slice(0, 5000)].map((id): [string, string, Record<string, string>, RegExp] =>
      [`id ${JSON.stringify(id.slice(0, 30))}`, JSON.stringify({ chunks: [sha, id] }), { ...auth, ...json }, /^INVALID_PARAMS: /]),
    ...[1, null, {}, [sha]].map((id): [string, string, Record<string, string>, RegExp] => [`id ${JSON.stringify(id)}`, JSON.stringify({ chunks: [id] }), { ...auth, ...json }, /^INVALID_PARAMS: /]),
    ['a missing chunk', JSON.stringify({ chunks: [sha] }), { ...auth, ...json }, /^NOT_FOUND: /],
    ['no token', JSON.stringify({ chunks: [sha] }), json, /^UNAUTHENTICATED: /],
    ['a forged token', JSON.stringify({ chunks: [sha] }), { ...json, authorization: 'Bearer a.b.c' }, /^UNAUTHENTICATED: /],
  ];
  for (const [what, body, headers, codes] of batches) {
    const r = await send(ood.host, 3180, '/kapi/repo/chunks', { method: 'POST', body, headers });
    assert.ok(r.status >= 400 && r.status < 500, `chunk batch with ${what} → ${r.status} ${r.text.slice(0, 200)}`);
    assert.doesNotMatch(r.text, /root:/);
    assertRefusal(`chunk batch with ${what}`, r, { leakPaths, codes });
  }
  // An oversized batch sent chunked (no length to refuse it by up front), many times over a reused
  // connection: always the repo's 413, never a reset the gateway has to turn into a 502.
  const bigBatch = JSON.stringify({ chunks: Array(1500).fill(sha) });
  await inBatches(Array.from({ length: 48 }, (_, i) => i), 8, async (i) => {
    const r = await send(ood.host, 3180, '/kapi/repo/chunks', { method: 'POST', body: bigBatch, headers: { ...auth, ...json, 'transfer-encoding': 'chunked' } });
    assert.equal(r.status, 413, `chunked 100 kB batch #${i} → ${r.status} ${r.text.slice(0, 200)}`);
    assertRefusal(`chunked 100 kB batch #${i}`, r, { leakPaths, codes: /^PAYLOAD_TOO_LARGE: / });
  });

  assert.deepEqual(await treeSnapshot(dataPaths(ood.dataDir).repo), repoTreeBefore, 'a refused upload leaves the repo folder as it was');
  for (const dir of [ood.dataDir, join(ood.dataDir, '..'), '/tmp']) {
    await assert.rejects(stat(join(dir, `${marker}.sh`)), { code: 'ENOENT' }, `nothing was written to ${dir}`);
  }
  await assertAlive(ood, 'after the repo batch');
});

// ---- the gateway itself -------------------------------------------------------------------------

test('the gateway answers odd paths, traversal and huge headers with a 4xx and keeps running', async () => {
  const paths = [
    '/apps/../kapi/system_config', '/apps/..%2f..%2fetc%2fpasswd', '/apps/%2e%2e/%2e%2e/etc/passwd', '/kapi/..%2fsystem_config',
    '/kapi/..%2f..%2fetc%2fpasswd', '/kapi/system_config/..%2f..%2f', '/kapi/', '/kapi/nope', '/kapi/%00', '/kapi/system_config%00',
    '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/%ff%fe', '/%', '//etc/passwd', '/apps/', '/apps/nope/', '/apps/NOPE/x',
    '/apps/a%2fb/', `/apps/${'a'.repeat(5000)}/`, '/kapi/__proto__', '/kapi/constructor', '/health/../kapi/system_config',
  ];
  for (const path of paths) {
    for (const method of ['GET', 'POST']) {
      const r = await send(ood.host, 3180, path, { method, body: method === 'POST' ? '{"method":"sys_config_get","params":{"key":"boot/config"}}' : undefined, headers: json });
      assert.doesNotMatch(r.text, /root:x?:0:0|"result"/, `${method} ${path} reached something it must not`);
      // GET of a non-API path may be the control panel's index page (an SPA route).
      if (r.status === 200 && method === 'GET' && !path.startsWith('/kapi/') && r.type.startsWith('text/html')) continue;
      assert.ok(r.status >= 300 && r.status < 500 || r.status === 200, `${method} ${path} → ${r.status}`);
      if (r.status >= 300 && r.status < 400) continue;
      assertRefusal(`${method} ${path}`, r, { leakPaths });
    }
  }
  const bigHeader = await send(ood.host, 3180, '/kapi/system_config', { body: '{}', headers: { ...json, 'x-big': 'a'.repeat(100_000) } });
  assert.equal(bigHeader.status, 431);
  const manyHeaders: Record<string, string> = { ...json };
  for (let i = 0; i < 3000; i++) manyHeaders[`x-h${i}`] = 'v';
  const many = await send(ood.host, 3180, '/kapi/system_config', { body: '{}', headers: manyHeaders });
  assert.ok(many.status >= 400 && many.status < 500, `3000 headers → ${many.status}`);
  const longUrl = await send(ood.host, 3180, `/kapi/system_config?${'q'.repeat(100_000)}`, { method: 'GET' });
  assert.ok(longUrl.status >= 400 && longUrl.status < 500, `100 kB URL → ${longUrl.status}`);
  for (const host of ['evil..testzone', `${'a'.repeat(300)}.testzone`, '../../etc', '']) {
    const r = await send(ood.host, 3180, '/', { method: 'GET', headers: { host } });
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), `Host ${host.slice(0, 30)} → ${r.status}`);
  }
  await assertAlive(ood, 'after the gateway batch');
});

// ---- activation on a fresh OOD, then a replay -----------------------------------------------------

test('the activation server refuses bad input before and after activation, and a replayed activation changes nothing', async () => {
  freshDir = await tempDir('buckyos-ood-fresh-');
  const host = randomLoopback();
  fresh = spawnOod(freshDir.path, host);
  await waitForPort(host, 3182);
  const leaks = [repoRoot, freshDir.path];
  const activationMethods: Record<string, MethodSpec> = {
    generate_device_key_pair: { params: {} },
    prepare_active_documents: { params: { owner_document: [{}, 'obj'], names: [{}, 'obj'], topology: [{}, 'obj'], device_public_key: [{}, 'obj'] } },
    commit_active: { params: { owner_document: [{}, 'obj'], prepared: [{}, 'obj'], signed_documents: [{}, 'obj'], system_settings: [{ admin_password_hash: 'x' }, 'obj'] } },
  };
  const attack = async (phase: string) => {
    const cases: [string, string | Buffer][] = [];
    for (const [method, spec] of Object.entries(activationMethods)) {
      for (const [name, body] of envelopeAttacks(method)) if (name !== 'deep nesting' && name !== 'method too long') cases.push([`${method} ${name}`, body]);
      const sample = Object.fromEntries(Object.entries(spec.params).map(([k, [v]]) => [k, v]));
      for (const [param, [, kind]] of Object.entries(spec.params)) {
        WRONG_TYPES[kind].filter((v) => v !== LONG).forEach((bad, i) => cases.push([`${method} ${param}#${i}`, JSON.stringify({ method, params: { ...sample, [param]: bad } })]));
      }
      cases.push([`${method} prototype keys`, `{"method":"${method}","params":{"__proto__":{"admin_password_hash":"x"},"constructor":{"prototype":{"x":1}}}}`]);
    }
    await inBatches(cases, 8, async ([what, body]) => {
      assertRefusal(`${phase} /kapi/active ${what}`, await send(host, 3182, '/kapi/active', { body, headers: json }), { leakPaths: leaks });
    });
    const huge = await send(host, 3182, '/kapi/active', { body: JSON.stringify({ method: 'commit_active', params: { x: 'v'.repeat(10 * 1024 * 1024) } }), headers: json });
    assert.equal(huge.status, 413, `${phase}: 10 MB body → ${huge.status}`);
    assertRefusal(`${phase} 10 MB body`, huge, { leakPaths: leaks, codes: /^PAYLOAD_TOO_LARGE: / });
    for (const [method, path] of [['POST', '/device'], ['PUT', '/device'], ['GET', '/device/../etc/passwd'], ['GET', '/device%00'], ['GET', '/..%2f..%2fetc%2fpasswd'], ['GET', '/kapi/active']]) {
      const r = await send(host, 3182, path, { method, body: method === 'GET' ? undefined : '{}', headers: json });
      assert.ok(r.status >= 400 && r.status < 500, `${phase} ${method} ${path} → ${r.status}`);
      assertRefusal(`${phase} ${method} ${path}`, r, { leakPaths: leaks });
    }
    const device = await send(host, 3182, '/device', { method: 'GET' });
    assert.equal(device.status, 200, device.text);
    for (const sign of STACK_SIGNS) assert.doesNotMatch(device.text, sign);
    assert.equal(fresh!.child.exitCode, null, `${phase}: the fresh OOD exited\n${fresh!.log().slice(-2000)}`);
  };

  await attack('unactivated');
  const etcBefore = await readdir(dataPaths(freshDir.path).etc).catch(() => [] as string[]);
  assert.ok(!etcBefore.some((f) => /zone|boot|device_doc/.test(f)), `bad input must not half-activate the device: ${etcBefore}`);

  const args = ['activate', '--device', `http://${host}:3182`, '--zone', 'otherzone', '--owner', 'alice', '--password', TEST_PASSWORD];
  const first = await cli(args);
  assert.equal(first.code, 0, first.stderr);
  const etcDigest = async () => {
    const dir = dataPaths(freshDir!.path).etc;
    const h = createHash('sha256');
    // The gateway secret and the zone CA (etc/zone-ca/) are made by the boot that follows activation, not by activation itself.
    for (const f of (await readdir(dir)).filter((f) => f !== GATEWAY_SECRET_FILE && f !== 'zone-ca').sort()) h.update(f).update(await readFile(join(dir, f)));
    return h.digest('hex');
  };
  // Boot follows activation: it writes the gateway secret and, once KV holds the admin password
  // verifier, drops it from start_config.json. Take the digest after that, so only a replay can change it.
  await waitForPort(host, 3180);
  await pollUntil('boot to drop the verifier from start_config.json', async () =>
    (await readFile(join(dataPaths(freshDir!.path).etc, 'start_config.json'), 'utf8')).includes('admin_password_hash') ? undefined : true, { timeoutMs: 60_000 });
  const activated = await etcDigest();
  const replay = await cli(args);
  assert.notEqual(replay.code, 0, 'a second activation must fail');
  // An activated OOD closes its activation port, so the replay finds no one to talk to.
  assert.match(replay.stderr, /ALREADY_ACTIVATED|UNAVAILABLE: cannot reach/);
  for (const sign of STACK_SIGNS) assert.doesNotMatch(replay.stderr, sign);
  if (await waitForPort(host, 3182, 500).then(() => true, () => false)) await attack('activated');
  assert.equal(await etcDigest(), activated, 'a replayed activation and bad input leave the identity files as they were');

  // A session of the other zone means nothing in ours.
  await waitForPort(host, 3180);
  const other = await login({ zone: `http://${host}:3180`, user: 'alice', password: TEST_PASSWORD });
  for (const [service, method, params] of [['system_config', 'sys_config_get', { key: 'boot/config' }], ['system_config', 'sys_config_set', { key: PROBE_KEY, value: 'other zone' }], ['repo', 'list', {}], ['app_manager', 'list_apps', {}]] as const) {
    const r = await send(ood.host, 3180, `/kapi/${service}`, { body: JSON.stringify({ method, params, sys: [1, other.sessionToken] }), headers: json });
    assertRefusal(`${service}.${method} with the other zone's session`, r, { leakPaths, codes: /^(UNAUTHENTICATED|TOKEN_EXPIRED|PERMISSION_DENIED): / });
  }
  await assertAlive(ood, 'after the wrong-zone batch');
});

// ---- nothing changed ----------------------------------------------------------------------------

test('the KV holds exactly what it held before the attacks', async () => {
  await assertAlive(ood, 'at the end');
  const kvAfter = await kvSnapshot();
  assert.deepEqual([...kvAfter.keys()].sort(), [...kvBefore.keys()].sort(), 'no key appeared or vanished');
  for (const [key, value] of kvBefore) assert.equal(kvAfter.get(key), value, `KV ${key} changed`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'the test process itself is not polluted either');
});
