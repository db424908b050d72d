// Sudo (spec 60 §3, upstream verify-hub `sudo_by_password`): the signed-in person re-enters their
// password for a short-lived session token with `sudo: true`, which RBAC checks as `su_<user>`
// (`su_admin` may do anything; `su_users` only what the zone's rules give `su_<user>`).
//
// Ours: the call carries the caller's current session token in sys[1]; the sudo token belongs to that
// same session (same `session` claim), so logging out of it, or any revocation of it, ends the sudo
// token too. There is no refresh token: when it expires, the person is asked again.

/** Upstream's lifetime (SUDO_SESSION_TOKEN_EXPIRE_SECONDS); BUCKYOS_SUDO_TTL_S may shorten it (tests). */
export const SUDO_TOKEN_TTL_S = 3 * 60;

export interface SudoByPasswordParams {
  type?: 'password';
  /** Must be the user of the session in sys[1]. */
  username: string;
  /** loginProof(verifier, login_nonce), as for login_by_password. */
  password: string;
  /** Must be the app id of the session in sys[1]. */
  appid: string;
  app_instance_id?: string;
  /** ms since the epoch; single use. */
  login_nonce: number;
}

export interface SudoByPasswordResult {
  /** A session token with `sudo: true`; no refresh token. */
  session_token: string;
}
