// JSON schemas of verify-hub's kRPC params (spec 60 §3). BuckyOS clients add `type` and merge extra
// login params flat, so unknown properties are allowed; the fields we use are bounded.

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

export const verifyTokenParams = {
  type: 'object',
  required: ['session_token'],
  properties: { session_token: jwt, appid, app_instance_id: appInstanceId },
} as const;

export interface LoginByPasswordParams {
  username: string;
  password: string;
  appid: string;
  app_instance_id?: string;
  login_nonce: number;
}
export interface LoginByJwtParams {
  jwt: string;
  app_instance_id?: string;
}
export interface RefreshTokenParams {
  refresh_token: string;
}
export interface VerifyTokenParams {
  session_token: string;
  appid?: string;
  app_instance_id?: string;
}

export interface UserInfo {
  user_id: string;
  user_name: string;
  user_type: string;
}
export interface LoginByPasswordResult {
  user_info: UserInfo;
  session_token: string;
  refresh_token: string;
}
export interface TokenPairResult {
  session_token: string;
  refresh_token: string;
}
