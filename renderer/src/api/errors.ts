// Every error the panel can meet, mapped once to a plain sentence and a next step (i18n keys under
// "errors."). Screens never show a code, a stack or raw JSON first; the kernel's own words go in a
// "details" fold.
import { PanelError, type PanelErrorCode } from './krpc';

/** Where the error happened, when that changes what the owner should read. */
export type ErrorContext = 'login' | 'sudo' | 'activation' | 'general';

export interface ExplainedError {
  /** i18n key of the sentence saying what happened. */
  what: string;
  /** i18n key of the next step. */
  next: string;
  /** Values for the sentences ({{seconds}}, …). */
  values: Record<string, string | number>;
  /** A retry button helps (the same action may work later). */
  retry: boolean;
  /** The kernel's own text, for the details fold. */
  detail: string;
  code: PanelErrorCode;
}

const RETRYABLE = new Set<PanelErrorCode>(['UNREACHABLE', 'UNAVAILABLE', 'TIMEOUT', 'RATE_LIMITED', 'VERSION_CONFLICT', 'INTERNAL', 'BAD_ANSWER']);

const CONTEXT_KEYS: Partial<Record<ErrorContext, Partial<Record<PanelErrorCode, string>>>> = {
  login: { UNAUTHENTICATED: 'login.wrong', RATE_LIMITED: 'login.locked', PERMISSION_DENIED: 'login.disabled', INVALID_PARAMS: 'login.wrong' },
  sudo: { UNAUTHENTICATED: 'sudo.wrong', RATE_LIMITED: 'login.locked', PERMISSION_DENIED: 'login.disabled' },
  activation: { ALREADY_ACTIVATED: 'activation.already', INTEGRITY: 'activation.integrity', INVALID_PARAMS: 'activation.invalid' },
};

/** Seconds named in a lockout message ("… try again in 42 s"), if any. */
export function waitSecondsOf(detail: string): number | undefined {
  const m = /(\d+)\s*(?:s|sec|seconds?)\b/.exec(detail);
  return m ? Number(m[1]) : undefined;
}

export function toPanelError(e: unknown): PanelError {
  if (e instanceof PanelError) return e;
  return new PanelError('INTERNAL', e instanceof Error ? e.message : String(e));
}

export function explainError(e: unknown, context: ErrorContext = 'general'): ExplainedError {
  const err = toPanelError(e);
  const base = CONTEXT_KEYS[context]?.[err.code] ?? err.code;
  const values: Record<string, string | number> = {};
  const wait = waitSecondsOf(err.detail);
  let key = base;
  // The kernel says how long ("try again in 42 s"): say it too, in seconds under a minute.
  if (err.code === 'RATE_LIMITED' && wait !== undefined && wait >= 60) {
    values.minutes = Math.max(1, Math.ceil(wait / 60));
    key = `${base}_timed`;
  } else if (err.code === 'RATE_LIMITED' && wait !== undefined && wait > 0) {
    values.seconds = wait;
    key = `${base}_seconds`;
  }
  return { what: `errors.${key}.what`, next: `errors.${key}.next`, values, retry: RETRYABLE.has(err.code), detail: err.detail, code: err.code };
}
