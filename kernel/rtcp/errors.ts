// Errors of the rtcp layer: a stable code and a message, shown as "<CODE>: <message>".
export type RtcpErrorCode =
  | 'INVALID_DATA' // malformed packet, record or token
  | 'KEY_EXHAUSTED' // AEAD budget or tunnel key epoch used up; reconnect
  | 'UNAUTHENTICATED' // the peer could not prove who it is
  | 'PERMISSION_DENIED' // the peer is known but not admitted (other zone, revoked, key mismatch)
  | 'REFUSED' // the peer refused a tunnel or stream
  | 'UNREACHABLE' // no path to the device
  | 'NOT_FOUND' // the device is unknown
  | 'TIMEOUT'
  | 'CLOSED';

export class RtcpError extends Error {
  constructor(readonly code: RtcpErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'RtcpError';
  }
}

export const isRtcpError = (e: unknown, code?: RtcpErrorCode): e is RtcpError => e instanceof RtcpError && (code === undefined || e.code === code);
