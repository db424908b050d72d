// Params of the app-manager's kRPC methods. Names end up in KV keys, URLs (/apps/<id>/) and file
// names, so they are held to small alphabets before anything else looks at them.
import { PKG_NAME_PATTERN } from '../pkg/id.js';
import { INSTALLATION_ID_PATTERN, defaultInstallationId, isInstallationId } from '../api/app-manager.js';
import type { InstallParams, AppRef, UpgradeParams, RollbackParams } from '../api/app-manager.js';
export type { InstallParams, AppRef, UpgradeParams, RollbackParams };

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const VERSION_PATTERN = '^[0-9A-Za-z.^~<>=*| +-]{1,64}$';
const NODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$';
const TASK_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,80}$';
export const MAX_HEALTH_TIMEOUT_S = 3600;

export const isSafeUserName = (s: string) => USER_NAME.test(s) && !s.includes('..');
export { isInstallationId, defaultInstallationId };

const healthTimeout = { type: 'integer', minimum: 1, maximum: MAX_HEALTH_TIMEOUT_S } as const;
const which = {
  installation_id: { type: 'string', pattern: INSTALLATION_ID_PATTERN },
  name: { type: 'string', pattern: PKG_NAME_PATTERN },
} as const;
const oneApp = { anyOf: [{ required: ['installation_id'] }, { required: ['name'] }] } as const;

export const installParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: which.name,
    version: { type: 'string', pattern: VERSION_PATTERN },
    node: { type: 'string', pattern: NODE_PATTERN },
    installation_id: which.installation_id,
    health_timeout_s: healthTimeout,
  },
} as const;

export const upgradeParams = {
  type: 'object',
  additionalProperties: false,
  ...oneApp,
  properties: { ...which, version: { type: 'string', pattern: VERSION_PATTERN }, health_timeout_s: healthTimeout },
} as const;

export const rollbackParams = {
  type: 'object',
  additionalProperties: false,
  ...oneApp,
  properties: { ...which, keep_data: { type: 'boolean' }, health_timeout_s: healthTimeout },
} as const;

export const uninstallParams = {
  type: 'object',
  additionalProperties: false,
  ...oneApp,
  properties: which,
} as const;

export const listParams = { type: 'object', additionalProperties: false, properties: {} } as const;

export const getTaskParams = {
  type: 'object',
  additionalProperties: false,
  required: ['task_id'],
  properties: { task_id: { type: 'string', pattern: TASK_ID_PATTERN } },
} as const;

