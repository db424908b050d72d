// The `Range` header of a chunk download (RFC 9110 §14): one byte range, `bytes=a-b`, `bytes=a-` or the
// suffix form `bytes=-n`. A resuming client only ever asks for one; anything else gets 416 with a reason.

export type RangeRequest =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'invalid'; reason: string };

const SINGLE = /^bytes=(\d{0,16})-(\d{0,16})$/;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const m = SINGLE.exec(header.trim().replace(/\s+/g, ''));
  if (!m || (m[1] === '' && m[2] === '')) {
    const reason = /,/.test(header) ? 'only a single byte range is served' : `${JSON.stringify(header.slice(0, 64))} is not a byte range like "bytes=100-"`;
    return { kind: 'invalid', reason };
  }
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'invalid', reason: 'a suffix range of 0 bytes selects nothing' };
    if (size === 0) return { kind: 'invalid', reason: 'the chunk is empty' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (start >= size) return { kind: 'invalid', reason: `the range starts at ${start} but the chunk has ${size} bytes` };
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (end < start) return { kind: 'invalid', reason: `the range ends (${m[2]}) before it starts (${start})` };
  return { kind: 'partial', start, end };
}
