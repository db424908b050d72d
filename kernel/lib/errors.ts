// Errors that cross a kRPC boundary. On the wire an error stays one string (BuckyOS clients expect
// display text) but it always starts with a stable code: "<CODE>: <message>".

import { ErrorCodes, formatWireError, parseWireError, type ErrorCode } from '../api/errors.js';

export { ErrorCodes, type ErrorCode };

export class KrpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'KrpcError';
    this.code = code;
  }
  toWire(): string {
    return formatWireError(this);
  }
  static fromWire(text: string): KrpcError {
    const { code, message } = parseWireError(text);
    return new KrpcError(code, message);
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

/** A full disk (or quota) as the OS reports it on a write. */
export const isDiskFull = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
};

/** RESOURCE_EXHAUSTED for a full disk under `dir`, with what was (not) written and the owner's next step. */
export const diskFull = (dir: string, what: string) =>
  new KrpcError('RESOURCE_EXHAUSTED', `the disk holding ${dir} is full, so ${what}; free some space on it (delete or move large files) and try again`);
