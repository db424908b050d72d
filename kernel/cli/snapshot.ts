// `buckyos snapshot [--diff REV] [--json]`: the scheduler's current decisions, what changed since an
// earlier snapshot, and the reason for every placement.
import { KrpcError } from '../lib/errors.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';
import { SCHEDULER_SNAPSHOT_KEY, historyKey } from '../lib/zone-keys.js';
import { parseSnapshot } from '../scheduler/snapshot-store.js';
import { diffSnapshots, diffSnapshotsJson, formatSnapshot, snapshotJson } from '../scheduler/snapshot-view.js';

export async function snapshotCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...zoneOptions, diff: { type: 'string' }, json: { type: 'boolean' } });
  const session = await login(zoneLogin(values));
  const kv = session.client('system_config');
  const read = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;

  const current = parseSnapshot(await read(SCHEDULER_SNAPSHOT_KEY));
  if (!current) throw new KrpcError('NOT_FOUND', 'the scheduler has not written a snapshot yet; wait a moment after boot and try again');
  const out = (lines: string[] | object): void => {
    process.stdout.write(Array.isArray(lines) ? lines.join('\n') + '\n' : JSON.stringify(lines, null, 2) + '\n');
  };

  if (values.diff === undefined) return out(values.json ? snapshotJson(current) : formatSnapshot(current));

  const rev = Number(values.diff);
  if (!Number.isInteger(rev) || rev < 0) throw new KrpcError('INVALID_PARAMS', '--diff takes a snapshot revision number (see `buckyos snapshot`)');
  const earlier = parseSnapshot(await read(historyKey(rev)));
  if (!earlier) {
    const kept = await kv.call<string[]>('sys_config_list', { key: 'system/scheduler/history' });
    throw new KrpcError('NOT_FOUND', `snapshot ${rev} is not kept any more; kept revisions: ${kept.sort((a, b) => Number(a) - Number(b)).join(', ') || 'none'}`);
  }
  out(values.json ? { ...diffSnapshotsJson(earlier, current), snapshot: snapshotJson(current) } : diffSnapshots(earlier, current));
}
