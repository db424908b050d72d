// JSON schemas of verify-hub's kRPC params (spec 60 §3). BuckyOS clients add `type` and merge extra
// login params flat, so unknown properties are allowed; the fields we use are bounded.
import type { LoginByPasswordParams, LoginByJwtParams, RefreshTokenParams, VerifyTokenParams, UserInfo, LoginByPasswordResult, TokenPairResult } from '../api/verify-hub.js';
export type { LoginByPasswordParams, LoginByJwtParams, RefreshTokenParams, VerifyTokenParams, UserInfo, LoginByPasswordResult, TokenPairResult };

const jwt = { type: 'string', minLength: 1, maxLength: 16_384 } as const;
const name = { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' } as const;
const appid = { type: 'string', pattern: '^[A-Za-z0-9_.@-]{1,128}$' } as const;
const appInstanceId = { type: 'string', minLength: 1, maxLength: 256 } as const;

export const loginByPasswordParams = {
  type: 'object',
  required: ['username', 'password', 'appid', 'login_nonce'],
  properties: {
    type: { const: 'password' },
    username: name,
    password: { type: 'string', minLength: 1, maxLength: 256 },
    appid,
    app_instance_id: appInstanceId,
    login_nonce: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
  },
} as const;

export const loginByJwtParams = {
  type: 'object',
  required: ['jwt'],
  properties: {
    type: { const: 'jwt' },
    jwt,
    app_instance_id: appInstanceId,
  },
} as const;

export const refreshTokenParams = {
  type: 'object',
  required: ['refresh_token'],
  properties: { refresh_token: jwt },
} as const;

export const logoutParams = refreshTokenParams;

export const sudoByPasswordParams = loginByPasswordParams;

export const verifyTokenParams = {
  type: 'object',
  required: ['session_token'],
  properties: { session_token: jwt, appid, app_instance_id: appInstanceId },
} as const;

