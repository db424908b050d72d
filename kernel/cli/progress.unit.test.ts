// The CLI progress line: bar, sizes, and how it writes on a terminal and elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, progressBar, renderProgress } from './progress.js';

test('formatBytes picks a readable unit', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.5 KB');
  assert.equal(formatBytes(20 * 1024 * 1024), '20 MB');
});

test('renderProgress draws a bar only when the total is known', () => {
  assert.equal(renderProgress('notes', { phase: 'scheduling' }), 'notes  scheduling');
  assert.equal(renderProgress('notes', { phase: 'x', bytes: 5, total: 0 }), 'notes  x');
  assert.equal(renderProgress('notes', { phase: 'downloading', bytes: 512, total: 1024 }, 10), 'notes  downloading  [#####.....]  512 B / 1.0 KB');
  assert.equal(renderProgress('n', { phase: 'p', bytes: 5000, total: 1024 }, 4), 'n  p  [####]  4.9 KB / 1.0 KB', 'more than the total is a full bar');
});

const sink = (isTTY: boolean) => {
  const chunks: string[] = [];
  return { out: { isTTY, write: (s: string) => chunks.push(s) } as unknown as NodeJS.WriteStream, chunks };
};

test('on a terminal the line is redrawn in place; elsewhere each phase prints once', () => {
  const tty = sink(true);
  const a = progressBar('n', tty.out);
  a.update({ phase: 'downloading', bytes: 1, total: 2 });
  a.update({ phase: 'downloading', bytes: 1, total: 2 });
  a.update({ phase: 'downloading', bytes: 2, total: 2 });
  a.done();
  assert.equal(tty.chunks.length, 3);
  assert.ok(tty.chunks[0].startsWith('\r\x1b[2K'));
  assert.equal(tty.chunks[2], '\n');

  const log = sink(false);
  const b = progressBar('n', log.out);
  b.update({ phase: 'downloading', bytes: 1, total: 2 });
  b.update({ phase: 'downloading', bytes: 2, total: 2 });
  b.update({ phase: 'done' });
  b.done();
  assert.deepEqual(log.chunks, ['n  downloading  [############............]  1 B / 2 B\n', 'n  done\n']);
});
