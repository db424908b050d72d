import { describe, expect, it } from 'vitest';
import { NAME_RE, suggestName } from './pairing';

describe('a name for a device being added', () => {
  it('is suggested from what the device calls itself, and never one already taken', () => {
    expect(suggestName('My NAS.local', [])).toBe('my-nas-local');
    expect(suggestName('nas', ['nas', 'nas-2'])).toBe('nas-3');
    expect(suggestName('1router', [])).toBe('d-1router');
    expect(suggestName(undefined, [])).toBe('device');
  });

  it('is a DNS label', () => {
    for (const good of ['nas', 'n', 'my-nas-2']) expect(NAME_RE.test(good), good).toBe(true);
    for (const bad of ['', 'Nas', '-nas', 'nas-', '2nas', 'a'.repeat(33), 'nas.local']) expect(NAME_RE.test(bad), bad).toBe(false);
  });
});
