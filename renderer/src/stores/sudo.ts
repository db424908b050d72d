// Sudo: a few minutes of raised rights (kernel/api/sudo.ts, BuckyOS's su_<user>) for the writes that
// change who may do what. The kernel decides what sudo allows (su_admin: anything; a plain user's
// su_<user>: only their own password and document); the page only asks for the password.
//
// For other screens (config edits, permission rules, people):
//
//   import { withSudo, isSudoCancelled } from '../../stores/sudo';
//   try {
//     await withSudo((call) => call('control-panel', 'user.create', params));
//   } catch (e) {
//     if (!isSudoCancelled(e)) setError(e);   // the person closed the dialog: show nothing
//   }
//
// withSudo uses the sudo token of the last few minutes while it is fresh, or opens the password dialog
// (<SudoDialog/>, mounted once by the Shell) and waits. `call` is the session's typed kRPC call with
// the sudo token instead of the session token. If the sudo token ran out meanwhile, the person is asked
// once more and `fn` runs again, so keep `fn` to one change (or make it safe to repeat).
import { create } from 'zustand';
import { krpcCall, PanelError } from '../api/krpc';
import type { MethodOf, ParamsFor, ResultFor, ServiceName } from '../api/kernel-types';
import { loadOwnerKit } from '../api/owner-kit';
import { PANEL_APPID, tokenExpiry, useSession } from './session';

/** A sudo token with less than this left is not used for a new change. */
const FRESH_FOR_S = 20;

export type SudoCall = <S extends ServiceName, M extends MethodOf<S>>(service: S, method: M, params: ParamsFor<S, M>) => Promise<ResultFor<S, M>>;

export class SudoCancelled extends Error {
  constructor() {
    super('the person closed the password dialog');
    this.name = 'SudoCancelled';
  }
}
export const isSudoCancelled = (e: unknown): e is SudoCancelled => e instanceof SudoCancelled;

export interface SudoState {
  /** The dialog is open and waiting for the password. */
  asking: boolean;
  busy: boolean;
  /** Why the last password was not accepted. */
  error?: unknown;
  token?: string;
  submit(password: string): Promise<void>;
  cancel(): void;
  /** Drops the sudo token (sign-out, or the kernel refused it). */
  forget(): void;
}

let waiter: { resolve(token: string): void; reject(e: unknown): void } | undefined;
let pending: Promise<string> | undefined;
const nowS = () => Math.floor(Date.now() / 1000);

export const useSudo = create<SudoState>()((set, get) => ({
  asking: false,
  busy: false,

  async submit(password) {
    const { user } = useSession.getState();
    set({ busy: true, error: undefined });
    try {
      if (!user) throw new PanelError('UNAUTHENTICATED', 'not signed in');
      const session = await useSession.getState().freshToken();
      const kit = await loadOwnerKit();
      const nonce = Date.now();
      const { session_token } = await krpcCall('verify_hub', 'sudo_by_password', {
        type: 'password', username: user, password: kit.loginProof(kit.hashPassword(password, user), nonce), appid: PANEL_APPID, login_nonce: nonce,
      }, { token: session });
      set({ token: session_token, asking: false, busy: false });
      waiter?.resolve(session_token);
      waiter = undefined;
    } catch (e) {
      set({ error: e, busy: false });
    }
  },

  cancel() {
    set({ asking: false, busy: false, error: undefined });
    waiter?.reject(new SudoCancelled());
    waiter = undefined;
  },

  forget() {
    if (get().token) set({ token: undefined });
  },
}));

/** A fresh sudo token: the one in hand, or the password dialog's. */
export function sudoToken(): Promise<string> {
  const { token } = useSudo.getState();
  const exp = tokenExpiry(token);
  if (token && exp !== undefined && exp - nowS() > FRESH_FOR_S) return Promise.resolve(token);
  pending ??= new Promise<string>((resolve, reject) => {
    waiter = { resolve, reject };
    useSudo.setState({ asking: true, busy: false, error: undefined, token: undefined });
  }).finally(() => { pending = undefined; });
  return pending;
}

const callWith = (token: string): SudoCall => (service, method, params) => krpcCall(service, method, params, { token });

/** Runs `fn` with sudo (see the top of this file). */
export async function withSudo<T>(fn: (call: SudoCall) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const token = await sudoToken();
    try {
      return await fn(callWith(token));
    } catch (e) {
      const ended = e instanceof PanelError && (e.code === 'TOKEN_EXPIRED' || e.code === 'UNAUTHENTICATED');
      if (!ended) throw e;
      useSudo.getState().forget();
      if (attempt > 0 || useSession.getState().status !== 'signed-in') throw e;
    }
  }
}

// Signing out ends the sudo token with the session (the kernel revokes both); the page forgets it too.
useSession.subscribe((s) => { if (s.status !== 'signed-in') useSudo.getState().forget(); });
