// Who is signed in, and the one place every screen's kRPC call goes through: it adds the session
// token, refreshes it ahead of expiry (and once more when the kernel says it expired) without the
// owner noticing, and turns an ended session into "expired" so the app shows the login over the page
// it was on (the page's state stays). The refresh token lives in sessionStorage (this tab only) so a
// reload keeps the session; logout revokes it at verify-hub.
import { create } from 'zustand';
import { krpcCall, krpcRaw, PanelError, type CallOptions } from '../api/krpc';
import type { MethodOf, ParamsFor, ResultFor, ServiceName, TokenPairResult } from '../api/kernel-types';
import { loadOwnerKit } from '../api/owner-kit';

/** The app id the panel logs in as (upstream's control panel id; RBAC group "system"). */
export const PANEL_APPID = 'control-panel';
const STORAGE_KEY = 'buckyos.session';
/** Refresh when the session token has less than this left. */
const REFRESH_AHEAD_S = 60;

export type SessionStatus = 'unknown' | 'signed-out' | 'signed-in' | 'expired';

export interface SessionState {
  status: SessionStatus;
  user?: string;
  sessionToken?: string;
  refreshToken?: string;
  /** False while the kernel cannot be reached (stopped, restarting, network gone). */
  reachable: boolean;
  restore(): Promise<void>;
  login(user: string, password: string): Promise<void>;
  loginWithJwt(user: string, jwt: string): Promise<void>;
  logout(): Promise<void>;
  /** A kRPC call with the session, typed by kernel/api's method map. */
  call<S extends ServiceName, M extends MethodOf<S>>(service: S, method: M, params: ParamsFor<S, M>, opts?: Omit<CallOptions, 'token'>): Promise<ResultFor<S, M>>;
  /** The same for services and methods kernel/api does not describe (probes). */
  callRaw<R>(service: string, method: string, params?: unknown, opts?: Omit<CallOptions, 'token'>): Promise<R>;
  setReachable(reachable: boolean): void;
  /** The session token, refreshed first when it is near its end (sudo asks with it; stores/sudo.ts). */
  freshToken(): Promise<string | undefined>;
}

/** Unix seconds of a JWT's exp, read without verifying (only to schedule a refresh). */
export function tokenExpiry(jwt: string | undefined): number | undefined {
  const part = jwt?.split('.')[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

const nowS = () => Math.floor(Date.now() / 1000);

function remember(user: string | undefined, refreshToken: string | undefined) {
  try {
    if (user && refreshToken) globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify({ user, refreshToken }));
    else globalThis.sessionStorage?.removeItem(STORAGE_KEY);
  } catch { /* storage unavailable: the session lasts until reload */ }
}

function recalled(): { user: string; refreshToken: string } | undefined {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    const v = raw ? (JSON.parse(raw) as { user?: unknown; refreshToken?: unknown }) : undefined;
    return typeof v?.user === 'string' && typeof v.refreshToken === 'string' ? { user: v.user, refreshToken: v.refreshToken } : undefined;
  } catch {
    return undefined;
  }
}

const ENDED = new Set(['UNAUTHENTICATED', 'TOKEN_EXPIRED']);

export const useSession = create<SessionState>()((set, get) => {
  let refreshing: Promise<void> | undefined;

  const signedIn = (user: string, pair: TokenPairResult) => {
    remember(user, pair.refresh_token);
    set({ status: 'signed-in', user, sessionToken: pair.session_token, refreshToken: pair.refresh_token, reachable: true });
  };

  /** One refresh at a time; a failure that means "the session is over" marks it expired. */
  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      const { refreshToken, user } = get();
      if (!refreshToken || !user) throw new PanelError('UNAUTHENTICATED', 'not signed in');
      try {
        const pair = await krpcCall('verify_hub', 'refresh_token', { refresh_token: refreshToken });
        signedIn(user, pair);
      } catch (e) {
        if (e instanceof PanelError && ENDED.has(e.code)) {
          remember(undefined, undefined);
          set({ status: 'expired', sessionToken: undefined, refreshToken: undefined });
        }
        throw e;
      }
    })().finally(() => { refreshing = undefined; });
    return refreshing;
  };

  const noteReachability = (e: unknown) => {
    if (e instanceof PanelError && (e.code === 'UNREACHABLE' || e.code === 'UNAVAILABLE')) set({ reachable: false });
  };

  return {
    status: 'unknown',
    reachable: true,

    async restore() {
      const saved = recalled();
      if (!saved) return set({ status: 'signed-out' });
      set({ user: saved.user, refreshToken: saved.refreshToken });
      try {
        await refresh();
      } catch (e) {
        noteReachability(e);
        if (get().status !== 'signed-in') set({ status: get().status === 'expired' ? 'signed-out' : get().status === 'unknown' ? 'signed-out' : get().status });
      }
    },

    async login(user, password) {
      const name = user.trim().toLowerCase();
      const kit = await loadOwnerKit();
      const nonce = Date.now();
      const r = await krpcCall('verify_hub', 'login_by_password', {
        username: name, password: kit.loginProof(kit.hashPassword(password, name), nonce), appid: PANEL_APPID, login_nonce: nonce,
      });
      signedIn(name, r);
    },

    async loginWithJwt(user, jwt) {
      const pair = await krpcCall('verify_hub', 'login_by_jwt', { jwt });
      signedIn(user, pair);
    },

    async logout() {
      const { refreshToken } = get();
      remember(undefined, undefined);
      set({ status: 'signed-out', sessionToken: undefined, refreshToken: undefined });
      if (refreshToken) await krpcCall('verify_hub', 'logout', { refresh_token: refreshToken }).catch(() => undefined);
    },

    call(service, method, params, opts) {
      return get().callRaw(service, method, params, opts);
    },

    async callRaw<R>(service: string, method: string, params: unknown = {}, opts: Omit<CallOptions, 'token'> = {}): Promise<R> {
      const exp = tokenExpiry(get().sessionToken);
      if (get().refreshToken && (exp === undefined || exp - nowS() < REFRESH_AHEAD_S)) await refresh().catch(noteReachability);
      try {
        const r = await krpcRaw<R>(service, method, params, { ...opts, token: get().sessionToken });
        if (!get().reachable) set({ reachable: true });
        return r;
      } catch (e) {
        noteReachability(e);
        if (!(e instanceof PanelError) || !ENDED.has(e.code) || !get().refreshToken) throw e;
        await refresh();
        return krpcRaw<R>(service, method, params, { ...opts, token: get().sessionToken });
      }
    },

    setReachable(reachable) {
      set({ reachable });
    },

    async freshToken() {
      const exp = tokenExpiry(get().sessionToken);
      if (get().refreshToken && (exp === undefined || exp - nowS() < REFRESH_AHEAD_S)) await refresh();
      return get().sessionToken;
    },
  };
});
