// The control-panel's operations methods: an app's last log lines (upstream's `system.logs.tail`) and
// the config browser (`sys_config.get|list|set`, and our `sys_config.watch`). Each reads KV with the
// caller's own token first, so system-config's RBAC decides: a log is shown only to someone who may
// read the app's spec, a key only to someone who may read the key. Secrets never leave this service,
// whoever asks: their values are replaced by a marker (upstream's control panel has redaction.rs too).
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { INSTALLATION_ID_PATTERN } from '../api/app-manager.js';
import {
  DEFAULT_LOG_TAIL_LINES, MAX_LOG_TAIL_LINES, SECRET_MEMBER_PATTERN, isSecretKey,
  type ControlPanelOpsMethods, type LogEntry, type SysConfigValue,
} from '../api/control-panel-ops.js';
import { BOOT_CONFIG_KEY, DEVICES_DIR, NODES_DIR, SERVICES_DIR, SYSTEM_DIR, USERS_DIR, appSpecIdOf, appSpecKey } from '../api/keys.js';
import { MAX_WATCH_TIMEOUT_MS } from '../api/system-config.js';
import { KrpcError, invalidParams, isKrpcError, unauthenticated } from '../lib/errors.js';
import { decodeUnverified } from '../lib/identity/jwt.js';
import type { KrpcContext, KrpcMethods } from '../lib/krpc/server.js';
import { SystemConfigClient } from '../system-config/client.js';

export interface OpsDeps {
  kvUrl: string;
  /** This node's logs folder (the data folder's logs/); app instances write logs/apps/<instance>.log. */
  logsDir: string;
  /** This node's name, for "the log of an app on another device stays there". */
  nodeName: string;
}

type Params<M extends keyof ControlPanelOpsMethods> = ControlPanelOpsMethods[M]['params'];
type Result<M extends keyof ControlPanelOpsMethods> = ControlPanelOpsMethods[M]['result'];

const USER_ID = { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' } as const;
const KEY = { type: 'string', maxLength: 512 } as const;
/** How much of the end of a log file one tail reads: enough for MAX_LOG_TAIL_LINES ordinary lines. */
const TAIL_BYTES = 256 * 1024;
const REDACTED = '••••••';
/** The zone's top folders (kernel/api/keys.ts) a person without a right on the whole tree may open. */
const TOP_FOLDERS = [BOOT_CONFIG_KEY.split('/')[0], DEVICES_DIR, NODES_DIR, SERVICES_DIR, SYSTEM_DIR, USERS_DIR].sort();

/** The file-name form node-daemon gives an instance id (node-daemon/node-config.ts fsName). */
const fsName = (id: string) => id.replace(/[^A-Za-z0-9_.@-]/g, '_');

/** A node-daemon line `[node-daemon <ISO time>] …` carries its time; app lines are plain. */
function parseLine(raw: string, service: string, file: string): LogEntry {
  const m = /^\[node-daemon ([0-9T:.\-Z]+)\] (.*)$/.exec(raw);
  const message = m ? m[2] : raw;
  const level = /\b(error|exception|fatal|panic|exited \(code [1-9])/i.test(message) ? 'error' : /\bwarn/i.test(message) ? 'warning' : 'info';
  return { timestamp: m ? m[1] : '', level, message, raw, service, file };
}

/** Secret members of a JSON value replaced, at any depth; other text returned as it is. */
export function redactValue(value: string): { value: string; redacted: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { value, redacted: false };
  }
  let redacted = false;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, member] of Object.entries(v)) {
      if (SECRET_MEMBER_PATTERN.test(k) && member !== null && typeof member !== 'object' && typeof member !== 'boolean') {
        out[k] = REDACTED;
        redacted = true;
      } else {
        out[k] = walk(member);
      }
    }
    return out;
  };
  const result = walk(parsed);
  return redacted ? { value: JSON.stringify(result, null, 2), redacted } : { value, redacted };
}

export function opsMethods(deps: OpsDeps): KrpcMethods {
  const tokenOf = (ctx: KrpcContext) => {
    if (!ctx.token) throw unauthenticated('sign in first: the control panel acts with your own session');
    return ctx.token;
  };
  const kvAs = (ctx: KrpcContext, timeoutMs?: number) => new SystemConfigClient(deps.kvUrl, tokenOf(ctx), { timeoutMs });

  /** Whose app: the named user, else the token's subject (a sudo session's `su_<user>` is that user). */
  const ownerOf = (p: { user?: string }, ctx: KrpcContext) => {
    if (p.user) return p.user;
    let sub: unknown;
    try {
      sub = decodeUnverified(tokenOf(ctx)).payload.sub;
    } catch {
      throw unauthenticated('the session token cannot be read; sign in again');
    }
    if (typeof sub !== 'string' || !sub) throw invalidParams('name the user whose app this is');
    return sub.replace(/^su_/, '');
  };

  async function logsTail(p: Params<'system.logs.tail'>, ctx: KrpcContext): Promise<Result<'system.logs.tail'>> {
    const user = ownerOf(p, ctx);
    // The caller must be able to read the app's spec: the kernel's RBAC, not this service, decides.
    const spec = await kvAs(ctx).get(appSpecKey(user, p.service));
    if (!spec) throw new KrpcError('NOT_FOUND', `${user} has no app "${p.service}"`);
    const prefix = fsName(`${appSpecIdOf({ user, installationId: p.service })}@`);
    const dir = join(deps.logsDir, 'apps');
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith('.log'));
    const files = await Promise.all(names.map(async (name) => ({ name, st: await stat(join(dir, name)) })));
    const newest = files.sort((a, b) => b.st.mtimeMs - a.st.mtimeMs)[0];
    if (!newest) {
      throw new KrpcError('NOT_FOUND', `${p.service} has not written a log on ${deps.nodeName}: it has not started here yet, or it runs on another device, whose log stays there`);
    }
    const limit = p.limit ?? DEFAULT_LOG_TAIL_LINES;
    const size = newest.st.size;
    const from = Math.max(0, size - TAIL_BYTES);
    const fh = await open(join(dir, newest.name), 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - from);
      const { bytesRead } = await fh.read(buf, 0, buf.length, from);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    let lines = text.split('\n');
    if (from > 0) lines = lines.slice(1); // the first line was cut by where we started reading
    lines = lines.map((l) => l.replace(/\r$/, '')).filter((l) => l.length > 0).slice(-limit);
    const node = newest.name.slice(prefix.length, -'.log'.length);
    return { entries: lines.map((raw) => parseLine(raw, p.service, newest.name)), nextCursor: String(size), node };
  }

  async function configList(p: Params<'sys_config.list'>, ctx: KrpcContext): Promise<Result<'sys_config.list'>> {
    try {
      const items = await kvAs(ctx).list(p.key);
      return { key: p.key, items: [...items].sort() };
    } catch (e) {
      // Listing the whole tree needs a right on everything (root, sudo). The top folders are the
      // zone's fixed layout, not a secret: show them, and let each folder's own list decide.
      if (p.key === '' && isKrpcError(e, 'PERMISSION_DENIED')) return { key: '', items: [...TOP_FOLDERS] };
      throw e;
    }
  }

  async function configGet(p: Params<'sys_config.get'>, ctx: KrpcContext): Promise<SysConfigValue> {
    // Read even a secret key with the caller's token: a refusal says so, and a value is never sent.
    const entry = await kvAs(ctx).get(p.key);
    if (!entry) return { key: p.key, value: null, version: 0, isChanged: false };
    if (isSecretKey(p.key)) return { key: p.key, value: null, version: entry.version, isChanged: false, secret: true };
    const { value, redacted } = redactValue(entry.value);
    return { key: p.key, value, version: entry.version, isChanged: false, ...(redacted && { secret: true as const }) };
  }

  async function configSet(p: Params<'sys_config.set'>, ctx: KrpcContext): Promise<Result<'sys_config.set'>> {
    if (isSecretKey(p.key)) throw new KrpcError('PERMISSION_DENIED', `${p.key} holds a secret; the control panel does not edit secrets`);
    const kv = kvAs(ctx);
    if (p.version === undefined) await kv.set(p.key, p.value);
    else await kv.execTx({ [p.key]: { action: 'update', value: p.value } }, undefined, [{ key: p.key, revision: p.version }]);
    return { ok: true, key: p.key };
  }

  async function configWatch(p: Params<'sys_config.watch'>, ctx: KrpcContext): Promise<Result<'sys_config.watch'>> {
    const timeout = Math.min(p.timeout_ms ?? 25_000, MAX_WATCH_TIMEOUT_MS);
    const r = await kvAs(ctx, timeout + 10_000).krpc.call('sys_config_watch', { key: p.key, revision: p.revision, timeout_ms: timeout });
    if ('compacted' in r) return r;
    return { revision: r.revision, changes: r.changes.map((c) => ({ key: c.key, version: c.version, deleted: c.value === null })) };
  }

  return {
    'system.logs.tail': {
      params: {
        type: 'object', required: ['service'], additionalProperties: false,
        properties: { service: { type: 'string', pattern: INSTALLATION_ID_PATTERN }, user: USER_ID, limit: { type: 'integer', minimum: 1, maximum: MAX_LOG_TAIL_LINES } },
      },
      handler: logsTail,
    },
    'sys_config.list': { params: { type: 'object', required: ['key'], properties: { key: KEY }, additionalProperties: false }, handler: configList },
    'sys_config.get': { params: { type: 'object', required: ['key'], properties: { key: KEY }, additionalProperties: false }, handler: configGet },
    'sys_config.set': {
      params: {
        type: 'object', required: ['key', 'value'], additionalProperties: false,
        properties: { key: KEY, value: { type: 'string', maxLength: 1024 * 1024 }, version: { type: 'integer', minimum: 0 } },
      },
      handler: configSet,
    },
    'sys_config.watch': {
      params: {
        type: 'object', required: ['key', 'revision'], additionalProperties: false,
        properties: { key: KEY, revision: { type: 'integer', minimum: 0 }, timeout_ms: { type: 'integer', minimum: 0, maximum: MAX_WATCH_TIMEOUT_MS } },
      },
      handler: configWatch,
    },
  };
}
