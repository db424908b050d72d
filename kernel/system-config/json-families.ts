// Key families whose value every consumer parses as a JSON object (spec 10 §2). Checking them at
// write time turns a typo into INVALID_PARAMS for the writer instead of a broken scheduler loop.
import { invalidParams } from '../lib/errors.js';

const JSON_OBJECT_KEYS: readonly RegExp[] = [
  /^boot\/config$/,
  /^nodes\/[^/]+\/config$/,
  /^services\/[^/]+\/(?:spec|info)$/,
  /^users\/[^/]+\/settings$/,
  /^users\/[^/]+\/apps\/[^/]+\/spec$/,
  /^devices\/[^/]+\/info$/,
];

export const mustHoldJsonObject = (key: string) => JSON_OBJECT_KEYS.some((re) => re.test(key));

/** Throws INVALID_PARAMS when `key` belongs to a JSON-object family and `value` is not one. */
export function checkFamilyValue(key: string, value: string): void {
  if (!mustHoldJsonObject(key)) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw invalidParams(`${key} must hold a JSON object, and the value is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidParams(`${key} must hold a JSON object, not ${Array.isArray(parsed) ? 'an array' : String(parsed === null ? 'null' : typeof parsed)}`);
}
