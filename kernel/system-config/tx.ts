// Turns KV write requests into the primitive puts of ONE store transaction, checked against the
// store's latest view: every single-key method and exec_tx go through here, so they share the same
// all-or-nothing rules (any failed check throws and nothing is written).
import { KrpcError, invalidParams, notFound } from '../lib/errors.js';
import { setJsonByPath } from '../lib/json-path.js';
import { checkValue } from '../lib/kv-keys.js';
import type { KvPut, KvView } from './store/types.js';
import { checkFamilyValue } from './json-families.js';
import { checkNewSubjects } from './subject-names.js';
import type { KvTxAction, RevisionCondition } from '../api/zone.js';
export type { RevisionCondition };

export type TxAction = KvTxAction;

export interface WriteRequest {
  /** Normalised key → action; one action per key. */
  actions: Map<string, TxAction>;
  /** Must be at this revision; it is bumped even without an action of its own (spec 10 §3). */
  mainKey?: RevisionCondition;
  /** Ours: further keys that must be at a given revision (not bumped). */
  conditions?: RevisionCondition[];
}

function checkRevision(view: KvView, c: RevisionCondition): void {
  const current = view.revisionOf(c.key);
  if (current !== c.revision)
    throw new KrpcError('VERSION_CONFLICT', `${c.key} is at revision ${current}, not ${c.revision}; re-read it and retry`);
}

function existing(view: KvView, key: string, action: string): string {
  const entry = view.get(key);
  if (!entry) throw notFound(`${key} does not exist, so it cannot ${action}; create it first`);
  return entry.value;
}

function applyPaths(key: string, stored: string, allSet: Record<string, unknown>): string {
  let root: unknown;
  try {
    root = JSON.parse(stored);
  } catch {
    root = undefined;
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw new KrpcError('FAILED_PRECONDITION', `${key} does not hold a JSON object, so it cannot be changed by JSON path; set the whole value instead`);
  for (const [path, value] of Object.entries(allSet)) root = setJsonByPath(root, path, value);
  return JSON.stringify(root);
}

function newValue(view: KvView, key: string, a: TxAction): string | null {
  switch (a.action) {
    case 'create':
      if (view.get(key)) throw new KrpcError('ALREADY_EXISTS', `${key} already exists; use set to replace it`);
      return a.value;
    case 'update':
      return a.value;
    case 'append':
      return existing(view, key, 'be appended to') + a.value;
    case 'set_by_path':
      return applyPaths(key, existing(view, key, 'be changed by JSON path'), a.all_set);
    case 'remove':
      existing(view, key, 'be removed');
      return null;
  }
}

export function planWrites(view: KvView, req: WriteRequest, maxValueBytes: number): KvPut[] {
  if (req.mainKey) checkRevision(view, req.mainKey);
  for (const c of req.conditions ?? []) checkRevision(view, c);
  checkNewSubjects(view, [...req.actions].filter(([key, a]) => (a.action === 'create' || a.action === 'update') && !view.get(key)).map(([key]) => key));
  const puts: KvPut[] = [];
  for (const [key, action] of req.actions) {
    const value = newValue(view, key, action);
    if (value !== null) {
      checkValue(value, maxValueBytes, `the new value of ${key}`);
      checkFamilyValue(key, value);
    }
    puts.push({ key, value });
  }
  if (req.mainKey && !req.actions.has(req.mainKey.key)) puts.push({ key: req.mainKey.key, value: view.get(req.mainKey.key)?.value ?? null });
  if (puts.length === 0) throw invalidParams('the transaction has no actions');
  return puts;
}
