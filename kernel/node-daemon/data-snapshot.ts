// App data snapshots for the upgrade pipeline (ours): an app spec may carry
// `data_snapshot {op_id, action: "take"|"restore", snapshot_id}`, and the daemon applies it once, after
// the old process has stopped and before the new one starts. "take" copies the app's data folder to
// `<snapshots>/<snapshot_id>/`; "restore" puts that copy back (the data it replaces is kept beside it).
// Every op runs at most once per node (a marker per op id), so a restarted daemon or a crash-looping
// app never takes a snapshot again over newer data, nor restores twice.
import { cp, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KrpcError } from '../lib/errors.js';
import { fsyncDir } from '../lib/fs-atomic.js';
import type { Logger } from '../lib/log.js';
import { fsName, isSafeId } from './node-config.js';
import { isPlainObject } from '../lib/json.js';

export interface DataSnapshotOp {
  op_id: string;
  action: 'take' | 'restore';
  snapshot_id: string;
}

export type DataSnapshotOutcome = 'taken' | 'restored' | 'already-done' | 'no-snapshot';

const OPS_DIR = '.ops';
const REPLACED_SUFFIX = '.replaced';
/** Snapshots (and replaced data) kept per app; the newest ones win. */
export const SNAPSHOTS_KEPT = 3;


/** The op an app spec asks for, if any; a malformed one is refused so the instance reports why. */
export function dataSnapshotOpOf(spec: unknown): DataSnapshotOp | undefined {
  const op = isPlainObject(spec) ? spec.data_snapshot : undefined;
  if (op === undefined || op === null) return undefined;
  if (!isPlainObject(op) || !isSafeId(op.op_id) || !isSafeId(op.snapshot_id) || (op.action !== 'take' && op.action !== 'restore'))
    throw new KrpcError('INVALID_PARAMS', 'app_spec.data_snapshot needs op_id, snapshot_id (letters, digits, _.:@-) and action "take" or "restore"');
  return { op_id: op.op_id, action: op.action, snapshot_id: op.snapshot_id };
}

/** Where one app's snapshots live on this node. */
export const snapshotRootOf = (nodeRoot: string, userId: string, installationId: string) =>
  join(nodeRoot, 'snapshots', fsName(userId), fsName(installationId));

const exists = (path: string) => stat(path).then(() => true, () => false);

async function copyInto(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  if (await exists(from)) await cp(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  else await mkdir(to, { recursive: true });
}

/** Moves `from` to `to` and dates it now (a copy keeps the data's own times), so pruning sees its age. */
async function moveDated(from: string, to: string): Promise<void> {
  await rename(from, to);
  const now = new Date();
  await utimes(to, now, now);
}

/** Keeps `keep` and the newest others of one kind (snapshots, or replaced data): SNAPSHOTS_KEPT in all. */
async function prune(root: string, replaced: boolean, keep: string): Promise<void> {
  const names = (await readdir(root)).filter((n) => !n.startsWith('.') && !n.includes('.tmp-') && n.endsWith(REPLACED_SUFFIX) === replaced && n !== keep);
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(root, n))).mtimeMs })));
  dated.sort((a, b) => b.t - a.t);
  for (const { n } of dated.slice(SNAPSHOTS_KEPT - 1)) await rm(join(root, n), { recursive: true, force: true });
}

export async function applyDataSnapshotOp(op: DataSnapshotOp, where: { dataDir: string; snapshotRoot: string }, log: Logger): Promise<DataSnapshotOutcome> {
  const { dataDir, snapshotRoot } = where;
  const opsDir = join(snapshotRoot, OPS_DIR);
  const marker = join(opsDir, fsName(op.op_id));
  if (await exists(marker)) return 'already-done';
  await mkdir(opsDir, { recursive: true });
  const snapshot = join(snapshotRoot, fsName(op.snapshot_id));
  const tmp = `${snapshot}.tmp-${randomBytes(4).toString('hex')}`;
  let outcome: DataSnapshotOutcome;
  try {
    if (op.action === 'take') {
      if (!(await exists(snapshot))) {
        await copyInto(dataDir, tmp);
        await moveDated(tmp, snapshot);
      }
      await prune(snapshotRoot, false, fsName(op.snapshot_id));
      outcome = 'taken';
    } else if (!(await exists(snapshot))) {
      // Taking a snapshot precedes every start of the version that took it, so a missing snapshot
      // means that version never ran here and the data is still what it was.
      log.warn('no data snapshot to restore on this node; leaving the data as it is', { snapshot: op.snapshot_id });
      outcome = 'no-snapshot';
    } else {
      await copyInto(snapshot, tmp);
      const replaced = `${fsName(op.op_id)}${REPLACED_SUFFIX}`;
      if (await exists(dataDir)) {
        await rm(join(snapshotRoot, replaced), { recursive: true, force: true });
        await moveDated(dataDir, join(snapshotRoot, replaced));
      }
      await rename(tmp, dataDir);
      await prune(snapshotRoot, true, replaced);
      outcome = 'restored';
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new KrpcError('FAILED_PRECONDITION', `cannot ${op.action} data snapshot ${op.snapshot_id}: ${(e as Error).message}; check free disk space and permissions`);
  }
  await writeFile(marker, `${outcome}\n`);
  await fsyncDir(opsDir);
  log.info('data snapshot op applied', { op: op.op_id, action: op.action, snapshot: op.snapshot_id, outcome });
  return outcome;
}
