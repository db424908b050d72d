// Errors that cross a kRPC boundary. On the wire an error stays one string (BuckyOS clients expect
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
  'RATE_LIMITED',
  'UNAVAILABLE',
  'TIMEOUT',
  'INTEGRITY',
  'FAILED_PRECONDITION',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

const codeSet = new Set<string>(ErrorCodes);

export class KrpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KrpcError';
    this.code = code;
  }
  toWire(): string {
    return `${this.code}: ${this.message}`;
  }
  static fromWire(text: string): KrpcError {
    const m = /^([A-Z_]+): ?([\s\S]*)$/.exec(text);
    if (m && codeSet.has(m[1])) return new KrpcError(m[1] as ErrorCode, m[2]);
    return new KrpcError('INTERNAL', text);
  }
}

export const isKrpcError = (e: unknown, code?: ErrorCode): e is KrpcError =>
  e instanceof KrpcError && (code === undefined || e.code === code);

export const invalidParams = (message: string) => new KrpcError('INVALID_PARAMS', message);
export const notFound = (message: string) => new KrpcError('NOT_FOUND', message);
export const permissionDenied = (message: string) => new KrpcError('PERMISSION_DENIED', message);
export const unauthenticated = (message: string) => new KrpcError('UNAUTHENTICATED', message);

/** A message safe to show a person, for any thrown value (never a stack trace). */
export function describeError(e: unknown): string {
  if (e instanceof KrpcError) return e.toWire();
  if (e instanceof Error) return e.message;
  return String(e);
}
