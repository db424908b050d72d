// JSON schemas of the kRPC params (spec 10 §3 plus our watch and exec_tx conditions). Types and
// bounds only; key hygiene is lib/kv-keys.ts and value rules are checked when a write is planned.
// Unknown extra fields are ignored, as BuckyOS clients may send them (serde writes `main_key: null`).

import { DEFAULT_WATCH_TIMEOUT_MS, MAX_WATCH_TIMEOUT_MS } from '../api/system-config.js';

export { DEFAULT_WATCH_TIMEOUT_MS, MAX_WATCH_TIMEOUT_MS };
const MAX_TX_ACTIONS = 1024;

const key = { type: 'string', maxLength: 2048 } as const;
const value = { type: 'string' } as const;
const revision = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const revisionCondition = {
  type: 'object',
  required: ['key', 'revision'],
  properties: { key, revision },
} as const;

export const keyParams = { type: 'object', required: ['key'], properties: { key } } as const;
export const keyValueParams = { type: 'object', required: ['key', 'value'], properties: { key, value } } as const;
export const appendParams = { type: 'object', required: ['key', 'append_value'], properties: { key, append_value: value } } as const;
export const setByJsonPathParams = {
  type: 'object',
  required: ['key', 'json_path', 'value'],
  properties: { key, json_path: { type: 'string', maxLength: 2048 }, value },
} as const;

export const txActionSchema = {
  type: 'object',
  required: ['action'],
  properties: {
    action: { enum: ['create', 'update', 'append', 'set_by_path', 'remove'] },
    value,
    all_set: { type: 'object', maxProperties: MAX_TX_ACTIONS },
  },
  allOf: [
    { if: { properties: { action: { enum: ['create', 'update', 'append'] } } }, then: { required: ['value'] } },
    { if: { properties: { action: { const: 'set_by_path' } } }, then: { required: ['all_set'] } },
  ],
} as const;

export const execTxParams = {
  type: 'object',
  required: ['actions'],
  properties: {
    actions: { type: 'object', maxProperties: MAX_TX_ACTIONS, additionalProperties: txActionSchema },
    main_key: { anyOf: [revisionCondition, { type: 'null' }] },
    conditions: { type: 'array', maxItems: MAX_TX_ACTIONS, items: revisionCondition },
  },
} as const;

export const watchParams = {
  type: 'object',
  required: ['key', 'revision'],
  properties: { key, revision, timeout_ms: { type: 'integer', minimum: 0, maximum: MAX_WATCH_TIMEOUT_MS } },
} as const;

export const emptyParams = { type: 'object' } as const;
