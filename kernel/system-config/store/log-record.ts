// The on-disk record of one transaction in a log segment:
//   [u32 LE payload length][u32 LE crc32(payload)][payload = UTF-8 JSON {"r": globalRevision, "p": [[key, value|null], …]}]
// Segments are preallocated with zeros (see log-segment.ts), so the data ends where a zero length
// field begins. Scanning stops there, or at the first record that is incomplete or fails its
// checksum, and reports how many bytes are valid and how far non-zero bytes reach after them; the
// caller decides whether that dirty tail can be a torn write (see log-store.ts).
import { crc32 } from 'node:zlib';
import { KrpcError } from '../../lib/errors.js';
import type { KvPut } from './types.js';

const HEADER_BYTES = 8;
/** Upper bound of one group-commit write and so of one record; a larger backlog goes out in several writes. */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

export interface LogRecord {
  revision: number;
  puts: KvPut[];
}

export function encodeRecord(revision: number, puts: KvPut[]): Buffer {
  const payload = Buffer.from(JSON.stringify({ r: revision, p: puts.map((p) => [p.key, p.value]) }), 'utf8');
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

export interface SegmentScan {
  records: LogRecord[];
  /** Bytes from the start of the segment up to the end of the last intact record. */
  validBytes: number;
  /** End of the last non-zero byte of the file; beyond validBytes this is a torn write or damage. */
  dirtyEnd: number;
  /**
   * The record where scanning stopped is whole (its checksum field and every payload byte present and
   * not zero) and still fails its checksum, or claims a length no write produces: damage, never a write
   * cut short. A cut write (kill -9) ends early or runs into the preallocated zeros; a power cut loses
   * whole pages or sectors, which read as zeros; the JSON payload itself never holds a zero byte.
   */
  damaged: boolean;
}

export function scanSegment(data: Buffer, segmentName: string): SegmentScan {
  const records: LogRecord[] = [];
  let offset = 0;
  let damaged = false;
  while (data.length - offset >= HEADER_BYTES) {
    const length = data.readUInt32LE(offset);
    if (length === 0) break;
    const start = offset + HEADER_BYTES;
    if (length > MAX_BATCH_BYTES) { damaged = true; break; }
    const payload = start + length <= data.length ? data.subarray(start, start + length) : undefined;
    if (!payload) break;
    const crc = data.readUInt32LE(offset + 4);
    if (crc32(payload) !== crc) { damaged = crc !== 0 && !payload.includes(0); break; }
    records.push(decodePayload(payload, segmentName, offset));
    offset = start + length;
  }
  let dirtyEnd = data.length;
  while (dirtyEnd > offset && data[dirtyEnd - 1] === 0) dirtyEnd--;
  return { records, validBytes: offset, dirtyEnd: Math.max(dirtyEnd, offset), damaged };
}

function decodePayload(payload: Buffer, segmentName: string, offset: number): LogRecord {
  const corrupt = () =>
    new KrpcError('INTEGRITY', `KV log ${segmentName} has a record at byte ${offset} with a valid checksum but unreadable content; restore the kv folder from a backup`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw corrupt();
  }
  const { r, p } = (parsed ?? {}) as { r?: unknown; p?: unknown };
  if (!Number.isSafeInteger(r) || (r as number) < 1 || !Array.isArray(p)) throw corrupt();
  const puts: KvPut[] = [];
  for (const item of p) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string' || (item[1] !== null && typeof item[1] !== 'string')) throw corrupt();
    puts.push({ key: item[0], value: item[1] });
  }
  return { revision: r as number, puts };
}
