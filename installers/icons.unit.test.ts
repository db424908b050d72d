// The icon pipeline: PNG round trip, downscale, and the .ico/.icns containers the OSes read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodePng, encodePng, icnsOf, icoOf, resize, type Rgba } from './icons.js';

const square = (size: number, rgba: [number, number, number, number]): Rgba => {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set(rgba, i * 4);
  return { width: size, height: size, data };
};

test('encode → decode is lossless', () => {
  const img = square(7, [10, 200, 30, 128]);
  img.data.set([255, 0, 0, 255], 4 * 10);
  const back = decodePng(encodePng(img));
  assert.deepEqual({ w: back.width, h: back.height }, { w: 7, h: 7 });
  assert.deepEqual([...back.data], [...img.data]);
});

test('a downscale averages in premultiplied alpha: transparent pixels do not darken edges', () => {
  const img = square(4, [0, 0, 0, 0]);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 2; x++) img.data.set([255, 255, 255, 255], (y * 4 + x) * 4);
  const small = resize(img, 1);
  assert.deepEqual([...small.data], [255, 255, 255, 128]);
});

test('the source icon decodes, and the containers index their PNGs', () => {
  const src = decodePng(readFileSync(join(import.meta.dirname, 'icon.png')));
  assert.deepEqual([src.width, src.height], [1024, 1024]);
  const pngs = [16, 32, 256].map((size) => ({ size, png: encodePng(resize(src, size)) }));
  const ico = icoOf(pngs);
  assert.deepEqual([ico.readUInt16LE(2), ico.readUInt16LE(4)], [1, 3]);
  assert.equal(ico[6 + 32], 0, '256 px is written as 0 in the directory');
  const firstOffset = ico.readUInt32LE(6 + 12);
  assert.deepEqual(decodePng(ico.subarray(firstOffset, firstOffset + ico.readUInt32LE(6 + 8))).width, 16);
  const icns = icnsOf(pngs);
  assert.equal(icns.toString('ascii', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  assert.equal(icns.toString('ascii', 8, 12), 'icp4');
  assert.throws(() => decodePng(Buffer.from('not a png')), /INVALID_PARAMS/);
});
