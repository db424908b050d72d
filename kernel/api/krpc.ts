// The kRPC wire (BuckyOS): POST {method, params, sys:[seq, token?, trace_id?]} → HTTP 200
// {result, sys:[seq]} | {error: "<CODE>: <message>", sys:[seq]}. A service's methods are one map
// `method name → { params; result }`; the server registration, the kernel's clients, the CLI and the
// renderer are all typed from it.

/** Every kRPC endpoint lives under this path. */
export const KAPI = '/kapi';
export const kapiPath = (service: string) => `${KAPI}/${service}`;

/** The endpoint of each service we serve, as upstream names them. */
export const KAPI_PATHS = {
  systemConfig: kapiPath('system_config'),
  verifyHub: kapiPath('verify_hub'),
  scheduler: kapiPath('scheduler'),
  repo: kapiPath('repo'),
  appManager: kapiPath('app_manager'),
  activation: kapiPath('active'),
  join: kapiPath('join'),
} as const;

export interface KrpcRequest<P = unknown> {
  method: string;
  params: P;
  /** [seq, session token?, trace id?] */
  sys: [number, string?, string?];
}

export type KrpcResponse<R = unknown> =
  | { result: R; sys: [number] | [number, string] }
  | { error: string; sys: [number] | [number, string] };

export interface MethodSpec {
  params: unknown;
  result: unknown;
}

/** Constraint for a service's method map (works for interfaces, which have no index signature). */
export type MethodMap<M> = { [K in keyof M]: MethodSpec };

export type ParamsOf<M extends MethodMap<M>, K extends keyof M> = M[K]['params'];
export type ResultOf<M extends MethodMap<M>, K extends keyof M> = M[K]['result'];
export type MethodName<M> = Extract<keyof M, string>;

/** A params object with no members (`{}` on the wire). */
export type NoParams = { [K in never]: never };

const KAPI_ROUTE = /^\/kapi\/([a-zA-Z0-9_-]+)(\/.*)?$/;
/** The service a `/kapi/<service>[/…]` path names, and the rest of the path; undefined for other paths. */
export function parseKapiPath(path: string): { service: string; rest: string } | undefined {
  const m = KAPI_ROUTE.exec(path);
  return m ? { service: m[1], rest: m[2] ?? '' } : undefined;
}
