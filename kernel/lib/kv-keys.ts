// KV key hygiene shared by system-config and its clients (spec 10 §1). BuckyOS accepts a key as
// `obj://config/<key>`, `/config/<key>` or with leading slashes and normalises `.`/`..`; we accept the
// same prefixes but refuse path tricks outright, so a key always means exactly what it looks like.
import { invalidParams } from './errors.js';
import { BOOT_CONFIG_KEY, CONFIG_RESOURCE_PREFIX, configResource } from '../api/keys.js';

export { CONFIG_RESOURCE_PREFIX, configResource };

export const MAX_KEY_BYTES = 512;
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
/** The store's hidden namespace (revision sidecars upstream); no RPC may name it. */
export const RESERVED_PREFIX = '__meta';


// Control characters (C0, DEL, C1) and backslashes have no business in a key.
const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f-\u009f\\]/;
// A UTF-16 surrogate without its partner cannot be stored as UTF-8 unchanged.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface KeyOptions {
  /**
   * List/watch calls name a prefix: one trailing `/` is allowed and the empty key means the root.
   * Default false: the key must name one entry.
   */
  prefix?: boolean;
}

function stripPrefixes(raw: string): string {
  let key = raw;
  if (key.startsWith(CONFIG_RESOURCE_PREFIX)) key = key.slice(CONFIG_RESOURCE_PREFIX.length);
  else if (key.startsWith('/config/')) key = key.slice('/config/'.length);
  return key.replace(/^[/\\]+/, '');
}

/** The canonical key for `raw`, or INVALID_PARAMS saying what is wrong with it. */
export function normalizeKey(raw: unknown, opts: KeyOptions = {}): string {
  if (typeof raw !== 'string') throw invalidParams('key must be a string');
  if (Buffer.byteLength(raw, 'utf8') > MAX_KEY_BYTES + CONFIG_RESOURCE_PREFIX.length)
    throw invalidParams(`key is longer than ${MAX_KEY_BYTES} bytes`);
  let key = stripPrefixes(raw);
  if (opts.prefix && key.endsWith('/')) key = key.slice(0, -1);
  if (key === '') {
    if (opts.prefix) return '';
    throw invalidParams(`key is empty; name an entry such as "${BOOT_CONFIG_KEY}"`);
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw invalidParams(`key is longer than ${MAX_KEY_BYTES} bytes`);
  if (FORBIDDEN_CHAR.test(key)) throw invalidParams('key contains a control character or a backslash');
  if (LONE_SURROGATE.test(key)) throw invalidParams('key is not valid Unicode text');
  const segments = key.split('/');
  for (const s of segments) {
    if (s === '') throw invalidParams(`key "${key}" has an empty path segment ("//" or a trailing "/")`);
    if (s === '.' || s === '..') throw invalidParams(`key "${key}" contains a "${s}" segment; name the entry directly`);
  }
  if (segments[0] === RESERVED_PREFIX) throw invalidParams(`"${RESERVED_PREFIX}/" is reserved for the store's own metadata`);
  return key;
}

/** The RBAC resource of a key: `obj://config/<key>`; a prefix (list/watch) ends with `/`. */

/** Whether `key` lies at or below the prefix `prefix` (path semantics: "a/b" covers "a/b/c", not "a/bc"). */
export function isUnderPrefix(key: string, prefix: string): boolean {
  return prefix === '' || key === prefix || key.startsWith(`${prefix}/`);
}

/** INVALID_PARAMS for a value that is not a string, too large, or not storable as UTF-8 unchanged. */
export function checkValue(value: unknown, maxBytes = DEFAULT_MAX_VALUE_BYTES, what = 'value'): string {
  if (typeof value !== 'string') throw invalidParams(`${what} must be a string (serialise JSON before sending it)`);
  // Cheap upper bound first: a UTF-8 byte is at most 3 per UTF-16 unit.
  if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes)
    throw invalidParams(`${what} is larger than ${maxBytes} bytes; store large data elsewhere and keep a reference here`);
  if (LONE_SURROGATE.test(value)) throw invalidParams(`${what} is not valid Unicode text`);
  return value;
}
