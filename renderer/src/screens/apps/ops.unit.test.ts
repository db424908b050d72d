import { describe, expect, test } from 'vitest';
import { readPkgHead } from './pkg-file';
import { placementWhy } from './placement';
import { en } from '../../i18n/en';
import { zh } from '../../i18n/zh';

const lookup = (tree: unknown, key: string) => key.split('.').reduce<unknown>((n, k) => (n as Record<string, unknown> | undefined)?.[k], tree);

/** A tar entry: a 512-byte header (name, octal size) and the data padded to 512. */
function entry(name: string, data: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  header.set(new TextEncoder().encode(name), 0);
  header.set(new TextEncoder().encode(`${data.length.toString(8).padStart(11, '0')}\0`), 124);
  const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
  padded.set(data);
  return new Uint8Array([...header, ...padded]);
}
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('a dropped package reads its own name before it is sent', () => {
  test('meta.json first, as pkg build writes it', () => {
    const head = new Uint8Array([...entry('meta.json', json({ name: 'notes', version: '1.1.0', description: 'Plain notes' })), ...entry('meta.sig', new Uint8Array(64))]);
    expect(readPkgHead(head)).toEqual({ name: 'notes', version: '1.1.0', description: 'Plain notes' });
  });
  test('after another entry too', () => {
    expect(readPkgHead(new Uint8Array([...entry('meta.sig', new Uint8Array(700)), ...entry('meta.json', json({ name: 'a', version: '1.0.0' }))]))?.name).toBe('a');
  });
  test('anything else is not a package', () => {
    expect(readPkgHead(new TextEncoder().encode('hello, this is a text file'))).toBeUndefined();
    expect(readPkgHead(entry('meta.json', new TextEncoder().encode('{not json')))).toBeUndefined();
    expect(readPkgHead(entry('meta.json', json({ version: '1' })))).toBeUndefined();
    expect(readPkgHead(new Uint8Array(0))).toBeUndefined();
  });
});

describe('where an app runs, in words', () => {
  test('each scheduler reason reads as a sentence in both languages; unknown ones read plainly', () => {
    for (const code of ['filter:only-candidate', 'score:most-free-memory', 'score:spread', 'score:tie-by-name', 'keep:existing-placement', 'something:new']) {
      const why = placementWhy('ood1', { code, detail: 'x' });
      expect(typeof lookup(en, why.key)).toBe('string');
      expect(typeof lookup(zh, why.key)).toBe('string');
    }
    expect(placementWhy('ood1', { code: 'something:new', detail: '' }).key).toBe('appsOps.why.other');
  });
  test('an app pinned to the device the owner chose says so', () => {
    expect(placementWhy('nas1', { code: 'filter:only-candidate', detail: 'nas1 is the only node that passes every filter; filtered out filter:affinity: ood1' }).key).toBe('appsOps.why.chosen');
  });
});
