// Data snapshot ops on real folders: take, restore, once-only markers, pruning, refusals.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '../lib/log.js';
import { isKrpcError } from '../lib/errors.js';
import { tempDir } from '../testing/harness.js';
import { SNAPSHOTS_KEPT, applyDataSnapshotOp, dataSnapshotOpOf, snapshotRootOf } from './data-snapshot.js';

const dir = await tempDir('buckyos-snap-');
after(() => dir.remove());

const setup = async (name: string) => {
  const dataDir = join(dir.path, name, 'data', 'alice', 'notes');
  await mkdir(join(dataDir, 'sub'), { recursive: true });
  await writeFile(join(dataDir, 'notes.json'), '["v1"]');
  await writeFile(join(dataDir, 'sub', 'x.txt'), 'x1');
  return { dataDir, snapshotRoot: snapshotRootOf(join(dir.path, name), 'alice', 'notes') };
};

test('take copies the data; the same op never runs twice; restore puts it back and keeps what it replaced', async () => {
  const where = await setup('a');
  assert.equal(await applyDataSnapshotOp({ op_id: 't1:take', action: 'take', snapshot_id: 't1' }, where, silentLogger), 'taken');
  assert.equal(await readFile(join(where.snapshotRoot, 't1', 'notes.json'), 'utf8'), '["v1"]');

  await writeFile(join(where.dataDir, 'notes.json'), '["v2 migrated"]');
  assert.equal(await applyDataSnapshotOp({ op_id: 't1:take', action: 'take', snapshot_id: 't1' }, where, silentLogger), 'already-done');
  assert.equal(await readFile(join(where.snapshotRoot, 't1', 'notes.json'), 'utf8'), '["v1"]', 'a repeated take must not overwrite the snapshot');

  assert.equal(await applyDataSnapshotOp({ op_id: 't1:restore', action: 'restore', snapshot_id: 't1' }, where, silentLogger), 'restored');
  assert.equal(await readFile(join(where.dataDir, 'notes.json'), 'utf8'), '["v1"]');
  assert.equal(await readFile(join(where.dataDir, 'sub', 'x.txt'), 'utf8'), 'x1');
  assert.equal(await readFile(join(where.snapshotRoot, 't1_restore.replaced', 'notes.json'), 'utf8'), '["v2 migrated"]');

  await writeFile(join(where.dataDir, 'notes.json'), '["v1", "written after the rollback"]');
  assert.equal(await applyDataSnapshotOp({ op_id: 't1:restore', action: 'restore', snapshot_id: 't1' }, where, silentLogger), 'already-done');
  assert.equal(await readFile(join(where.dataDir, 'notes.json'), 'utf8'), '["v1", "written after the rollback"]', 'a repeated restore must not clobber newer data');
});

test('restoring a snapshot this node never took leaves the data alone', async () => {
  const where = await setup('b');
  assert.equal(await applyDataSnapshotOp({ op_id: 'x:restore', action: 'restore', snapshot_id: 'never' }, where, silentLogger), 'no-snapshot');
  assert.equal(await readFile(join(where.dataDir, 'notes.json'), 'utf8'), '["v1"]');
});

test('a take of an app without data yet gives an empty snapshot', async () => {
  const root = join(dir.path, 'c');
  const where = { dataDir: join(root, 'data', 'alice', 'fresh'), snapshotRoot: snapshotRootOf(root, 'alice', 'fresh') };
  assert.equal(await applyDataSnapshotOp({ op_id: 'f:take', action: 'take', snapshot_id: 'f' }, where, silentLogger), 'taken');
  assert.deepEqual(await readdir(join(where.snapshotRoot, 'f')), []);
});

test(`only the newest ${SNAPSHOTS_KEPT} snapshots are kept`, async () => {
  const where = await setup('d');
  for (let i = 1; i <= SNAPSHOTS_KEPT + 2; i++) {
    await writeFile(join(where.dataDir, 'notes.json'), `["${i}"]`);
    await applyDataSnapshotOp({ op_id: `s${i}:take`, action: 'take', snapshot_id: `s${i}` }, where, silentLogger);
    await new Promise((r) => setTimeout(r, 15));
  }
  const kept = (await readdir(where.snapshotRoot)).filter((n) => !n.startsWith('.')).sort();
  assert.deepEqual(kept, Array.from({ length: SNAPSHOTS_KEPT }, (_, k) => `s${k + 3}`));
  assert.equal(await readFile(join(where.snapshotRoot, `s${SNAPSHOTS_KEPT + 2}`, 'notes.json'), 'utf8'), `["${SNAPSHOTS_KEPT + 2}"]`);
});

test('malformed ops in a spec are refused; a spec without one asks for nothing', () => {
  assert.equal(dataSnapshotOpOf({ installation_id: 'notes' }), undefined);
  assert.deepEqual(dataSnapshotOpOf({ data_snapshot: { op_id: 'a', action: 'take', snapshot_id: 'b' } }), { op_id: 'a', action: 'take', snapshot_id: 'b' });
  for (const bad of [{ op_id: '../x', action: 'take', snapshot_id: 'b' }, { op_id: 'a', action: 'wipe', snapshot_id: 'b' }, { op_id: 'a', action: 'take', snapshot_id: '../../etc' }, 'take'])
    assert.throws(() => dataSnapshotOpOf({ data_snapshot: bad }), (e: unknown) => isKrpcError(e, 'INVALID_PARAMS'));
});
