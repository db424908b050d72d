// Who may use the repo. The server gets two functions from the OOD entry — verify a token, authorize an
// action — and applies them to every kRPC call, upload and chunk download. rbacAuthorize maps repo
// actions onto the zone's RBAC resources `obj://repo/<pkg name>` (read / write).
import { KrpcError, permissionDenied, unauthenticated } from '../lib/errors.js';

export type RepoAction = 'read' | 'publish' | 'admin';

export interface RepoPrincipal {
  userId: string;
  appId?: string;
}

export interface RepoAuth<P extends RepoPrincipal = RepoPrincipal> {
  /** Resolves with the caller, or throws (UNAUTHENTICATED / TOKEN_EXPIRED) for a bad token. */
  verifyToken(token: string): Promise<P>;
  /** `pkgName` is absent for actions on the whole repo (list, chunks, sources, GC). */
  authorize(principal: P, action: RepoAction, pkgName?: string): Promise<boolean>;
}

/** The RBAC resource of a pkg (`*` for the whole repo). */
export const repoResource = (pkgName?: string) => `obj://repo/${pkgName ?? '*'}`;

/** Publishing and preparing a pkg need write on it; admin actions need write on the whole repo. */
export function rbacAuthorize<P extends RepoPrincipal>(
  enforce: (principal: P, resource: string, action: 'read' | 'write') => Promise<boolean>,
): RepoAuth<P>['authorize'] {
  return (principal, action, pkgName) => {
    if (action === 'read') return enforce(principal, repoResource(pkgName), 'read');
    if (action === 'publish') return enforce(principal, repoResource(pkgName), 'write');
    return enforce(principal, repoResource(), 'write');
  };
}

const MAX_TOKEN_LENGTH = 16 * 1024;

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return m ? m[1] : undefined;
}

export class RepoGuard<P extends RepoPrincipal> {
  constructor(private readonly auth: RepoAuth<P>) {}

  /** The verified caller, if allowed to do `action`; throws UNAUTHENTICATED or PERMISSION_DENIED. */
  async check(token: string | undefined, action: RepoAction, pkgName?: string): Promise<P> {
    if (!token) throw unauthenticated('the repo needs a token (Authorization: Bearer <token>, or sys[1] in kRPC); log in first');
    if (token.length > MAX_TOKEN_LENGTH) throw unauthenticated('the token is too long to be a session token');
    let principal: P;
    try {
      principal = await this.auth.verifyToken(token);
    } catch (e) {
      if (e instanceof KrpcError && (e.code === 'UNAUTHENTICATED' || e.code === 'TOKEN_EXPIRED')) throw e;
      throw unauthenticated('the token could not be verified; log in again');
    }
    if (!(await this.auth.authorize(principal, action, pkgName).catch(() => false))) {
      const what = action === 'read' ? 'read' : action === 'publish' ? 'publish or prepare' : 'administer';
      throw permissionDenied(`${principal.userId}${principal.appId ? ` (app ${principal.appId})` : ''} may not ${what} ${pkgName ? `pkg ${pkgName}` : 'this repo'}; ask a zone admin for access`);
    }
    return principal;
  }
}
