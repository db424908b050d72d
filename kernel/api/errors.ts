// Error codes and their wire form. On the wire an error stays one string (BuckyOS clients expect
// display text) but it always starts with a stable code: "<CODE>: <message>".

export const ErrorCodes = [
  'INVALID_PARAMS',
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'VERSION_CONFLICT',
  'NOT_ACTIVATED',
  'ALREADY_ACTIVATED',
  'UNKNOWN_METHOD',
  'PAYLOAD_TOO_LARGE',
  /** Ours (gRPC's name): the disk is full; nothing was written. */
  'RESOURCE_EXHAUSTED',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTEGRITY',
  'FAILED_PRECONDITION',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export interface WireError {
  code: ErrorCode;
  message: string;
}

const codeSet: ReadonlySet<string> = new Set(ErrorCodes);
export const isErrorCode = (s: string): s is ErrorCode => codeSet.has(s);

export const formatWireError = (e: WireError) => `${e.code}: ${e.message}`;

/** The code and message of a wire error string; text without a known code is INTERNAL with the text as message. */
export function parseWireError(text: string): WireError {
  const m = /^([A-Z_]+): ?([\s\S]*)$/.exec(text);
  if (m && isErrorCode(m[1])) return { code: m[1], message: m[2] };
  return { code: 'INTERNAL', message: text };
}
