// `buckyos snapshot [--diff [REV]] [--json]`: the scheduler's current decisions, what changed since an
// earlier snapshot (the previous one when no REV is given), and the reason for every placement, asked
// of the scheduler's kRPC (get_snapshot, diff), so RBAC and the snapshot's format stay its business.
import { KrpcError } from '../lib/errors.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';
import { KAPI_PATHS } from '../api/krpc.js';
import { SchedulerClient, formatSnapshotDiff, formatSnapshotJson } from '../scheduler/client.js';

const PREVIOUS = 'previous';

export async function snapshotCommand(argv: string[]): Promise<void> {
  // A bare --diff (last, or followed by another option) means "since the previous snapshot".
  const at = argv.indexOf('--diff');
  const bare = at >= 0 && (at === argv.length - 1 || argv[at + 1].startsWith('-'));
  const args = bare ? [...argv.slice(0, at + 1), PREVIOUS, ...argv.slice(at + 1)] : argv;
  const { values } = parse(args, { ...zoneOptions, diff: { type: 'string' }, json: { type: 'boolean' } });
  const session = await login(zoneLogin(values));
  const scheduler = new SchedulerClient(`${session.zone}${KAPI_PATHS.scheduler}`, session.sessionToken);
  const out = (lines: string[] | object): void => {
    process.stdout.write(Array.isArray(lines) ? lines.join('\n') + '\n' : JSON.stringify(lines, null, 2) + '\n');
  };

  const current = await scheduler.getSnapshot();
  if (values.diff === undefined) return out(values.json ? current : formatSnapshotJson(current));

  const kept = [...(current.kept_revisions ?? [])].sort((a, b) => a - b);
  let rev = Number(values.diff);
  if (values.diff === PREVIOUS) {
    const earlier = kept.filter((r) => r < current.rev);
    if (earlier.length === 0) throw new KrpcError('NOT_FOUND', `no snapshot before rev ${current.rev} is kept yet; \`buckyos snapshot\` shows the current one`);
    rev = earlier[earlier.length - 1];
  } else if (!Number.isInteger(rev) || rev < 0) {
    throw new KrpcError('INVALID_PARAMS', `--diff takes the revision of an earlier snapshot (kept: ${kept.join(', ') || 'none'}), or nothing for the previous one`);
  }
  const diff = await scheduler.diff(rev, current.rev);
  out(values.json ? { ...diff, snapshot: current } : formatSnapshotDiff(diff));
}
