// `buckyos snapshot [--diff [REV]] [--json]`: the scheduler's current decisions, what changed since an
// earlier snapshot (the previous one when no REV is given), and the reason for every placement.
import { KrpcError } from '../lib/errors.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';
import { SCHEDULER_SNAPSHOT_KEY, historyKey } from '../lib/zone-keys.js';
import { parseSnapshot } from '../scheduler/snapshot-store.js';
import { diffSnapshots, diffSnapshotsJson, formatSnapshot, snapshotJson } from '../scheduler/snapshot-view.js';

const PREVIOUS = 'previous';

export async function snapshotCommand(argv: string[]): Promise<void> {
  // A bare --diff (last, or followed by another option) means "since the previous snapshot".
  const at = argv.indexOf('--diff');
  const bare = at >= 0 && (at === argv.length - 1 || argv[at + 1].startsWith('-'));
  const args = bare ? [...argv.slice(0, at + 1), PREVIOUS, ...argv.slice(at + 1)] : argv;
  const { values } = parse(args, { ...zoneOptions, diff: { type: 'string' }, json: { type: 'boolean' } });
  const session = await login(zoneLogin(values));
  const kv = session.client('system_config');
  const read = async (key: string) => (await kv.call<{ value: string } | null>('sys_config_get', { key }))?.value;

  const current = parseSnapshot(await read(SCHEDULER_SNAPSHOT_KEY));
  if (!current) throw new KrpcError('NOT_FOUND', 'the scheduler has not written a snapshot yet; wait a moment after boot and try again');
  const out = (lines: string[] | object): void => {
    process.stdout.write(Array.isArray(lines) ? lines.join('\n') + '\n' : JSON.stringify(lines, null, 2) + '\n');
  };

  if (values.diff === undefined) return out(values.json ? snapshotJson(current) : formatSnapshot(current));

  const kept = async () => (await kv.call<string[]>('sys_config_list', { key: 'system/scheduler/history' })).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  let rev = Number(values.diff);
  if (values.diff === PREVIOUS) {
    const earlier = (await kept()).filter((r) => r < current.rev);
    if (earlier.length === 0) throw new KrpcError('NOT_FOUND', `no snapshot before rev ${current.rev} is kept yet; \`buckyos snapshot\` shows the current one`);
    rev = earlier[earlier.length - 1];
  } else if (!Number.isInteger(rev) || rev < 0) {
    throw new KrpcError('INVALID_PARAMS', `--diff takes the revision of an earlier snapshot (kept: ${(await kept()).join(', ') || 'none'}), or nothing for the previous one`);
  }
  const earlier = parseSnapshot(await read(historyKey(rev)));
  if (!earlier) throw new KrpcError('NOT_FOUND', `snapshot ${rev} is not kept any more; kept revisions: ${(await kept()).join(', ') || 'none'}`);
  out(values.json ? { ...diffSnapshotsJson(earlier, current), snapshot: snapshotJson(current) } : diffSnapshots(earlier, current));
}
