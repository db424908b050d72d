// Password-login nonce freshness. The nonce is the client's clock in milliseconds; upstream compares
// it against a limit meant in seconds (an effective ~29 s window). We accept a real ±5 min window.
import { KrpcError } from '../lib/errors.js';

export const LOGIN_NONCE_WINDOW_MS = 5 * 60_000;

export function checkLoginNonce(nonceMs: number, nowMs: number, windowMs = LOGIN_NONCE_WINDOW_MS): void {
  if (!Number.isSafeInteger(nonceMs) || nonceMs < 0) throw new KrpcError('INVALID_PARAMS', 'login_nonce must be the client time in milliseconds');
  if (Math.abs(nowMs - nonceMs) > windowMs)
    throw new KrpcError(
      'UNAUTHENTICATED',
      `login nonce is more than ${Math.round(windowMs / 60_000)} minutes away from the zone's clock; check this device's date and time and log in again`,
    );
}

/** Unix seconds after which a nonce can never be accepted again, so its replay marker may go. */
export const nonceExpiresAt = (nonceMs: number, windowMs = LOGIN_NONCE_WINDOW_MS) => Math.ceil((nonceMs + windowMs) / 1000);
