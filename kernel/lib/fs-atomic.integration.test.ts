// writeFileAtomic on real files: plain and piecewise content, a temp folder elsewhere, and no temp file
// left behind when writing fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAtomicTempOf, writeFileAtomic } from './fs-atomic.js';
import { tempDirFor } from '../testing/harness.js';

test('replaces the file with the data, with the mode asked for, creating the folder', async (t) => {
  const dir = await tempDirFor(t, 'fs-atomic-');
  const path = join(dir, 'sub', 'a.json');
  await writeFileAtomic(path, 'one');
  await writeFileAtomic(path, new TextEncoder().encode('two'), 0o600);
  assert.equal(await readFile(path, 'utf8'), 'two');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(join(dir, 'sub')), ['a.json']);
});

test('a fill function writes the content in pieces', async (t) => {
  const dir = await tempDirFor(t, 'fs-atomic-');
  const path = join(dir, 'big.txt');
  await writeFileAtomic(path, async (fh) => {
    for (const piece of ['a', 'b', 'c']) await fh.write(piece);
  }, { mode: 0o600 });
  assert.equal(await readFile(path, 'utf8'), 'abc');
  assert.equal((await stat(path)).mode & 0o777, 0o600);
});

test('with tmpDir the temp file lives there and the target folder is created only for the rename', async (t) => {
  const dir = await tempDirFor(t, 'fs-atomic-');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  const path = join(dir, 'chunks', 'ab', 'abcd');
  await writeFileAtomic(path, 'chunk', { tmpDir: tmp, deferDirSync: true });
  assert.equal(await readFile(path, 'utf8'), 'chunk');
  assert.deepEqual(await readdir(tmp), []);
});

test('a failing fill leaves neither the target nor a temp file', async (t) => {
  const dir = await tempDirFor(t, 'fs-atomic-');
  await assert.rejects(writeFileAtomic(join(dir, 'x.json'), async () => { throw new Error('disk full'); }), /disk full/);
  assert.deepEqual(await readdir(dir), []);
});

test('isAtomicTempOf recognises the temp files of one target only', () => {
  assert.equal(isAtomicTempOf('.snapshot.json.0a1b2c3d4e5f.tmp', 'snapshot.json'), true);
  assert.equal(isAtomicTempOf('.snapshot.json.0a1b2c3d4e5f.tmp', 'other.json'), false);
  assert.equal(isAtomicTempOf('snapshot.json', 'snapshot.json'), false);
});
