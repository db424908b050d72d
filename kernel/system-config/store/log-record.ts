// The on-disk record of one transaction in a log segment:
//   [u32 LE payload length][u32 LE crc32(payload)][payload = UTF-8 JSON {"r": globalRevision, "p": [[key, value|null], …]}]
// A record whose header or payload is incomplete, or whose checksum does not match, is a torn tail
// (a write cut short by a crash): scanning stops there and reports how many bytes are valid.
import { crc32 } from 'node:zlib';
import { KrpcError } from '../../lib/errors.js';
import type { KvPut } from './types.js';

const HEADER_BYTES = 8;

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
  /** True when bytes after validBytes exist but do not form an intact record. */
  tornTail: boolean;
}

export function scanSegment(data: Buffer, segmentName: string): SegmentScan {
  const records: LogRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data.length - offset < HEADER_BYTES) break;
    const length = data.readUInt32LE(offset);
    const checksum = data.readUInt32LE(offset + 4);
    const start = offset + HEADER_BYTES;
    if (length === 0 || start + length > data.length) break;
    const payload = data.subarray(start, start + length);
    if (crc32(payload) !== checksum) break;
    records.push(decodePayload(payload, segmentName, offset));
    offset = start + length;
  }
  return { records, validBytes: offset, tornTail: offset < data.length };
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
