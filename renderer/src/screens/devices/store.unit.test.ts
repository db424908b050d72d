import { describe, expect, it } from 'vitest';
import type { ZoneDevice } from '../../../../kernel/api/devices';
import { formatSize, fraction, lastSeenAgo, sortDevices } from './store';
import { sortIps } from './DevicesScreen';

const dev = (name: string, is_ood = false): ZoneDevice => ({
  name, did: `did:web:${name}`, device_type: is_ood ? 'ood' : 'server', is_ood, state: 'online', last_seen: 0, fingerprint: '', approved_by: 'owner', instances: [],
});

describe('devices store helpers', () => {
  it('says when a device was last seen in coarse words', () => {
    expect(lastSeenAgo(0, 1000)).toBeUndefined();
    expect(lastSeenAgo(990, 1000)).toEqual({ key: 'devices.ago.now', count: 0 });
    expect(lastSeenAgo(1000 - 5 * 60, 1000)).toEqual({ key: 'devices.ago.minutes', count: 5 });
    expect(lastSeenAgo(100_000 - 3 * 3600, 100_000)).toEqual({ key: 'devices.ago.hours', count: 3 });
    expect(lastSeenAgo(1_000_000 - 2 * 86_400, 1_000_000)).toEqual({ key: 'devices.ago.days', count: 2 });
    // A clock a little ahead on the device is "just now", not a negative age.
    expect(lastSeenAgo(1010, 1000)).toEqual({ key: 'devices.ago.now', count: 0 });
  });

  it('usage fractions and sizes', () => {
    expect(fraction(undefined, 10)).toBeUndefined();
    expect(fraction(5, 0)).toBeUndefined();
    expect(fraction(5, 10)).toBe(0.5);
    expect(fraction(20, 10)).toBe(1);
    expect(formatSize(undefined, 'en')).toBe('—');
    expect(formatSize(512, 'en')).toBe('512 B');
    expect(formatSize(5.3 * 1024 ** 3, 'en')).toBe('5.3 GB');
    expect(formatSize(24 * 1024 ** 3, 'en')).toBe('24 GB');
  });

  it('the main server first, then by name; IPv4 addresses first', () => {
    expect(sortDevices([dev('router'), dev('ood1', true), dev('nas')]).map((d) => d.name)).toEqual(['ood1', 'nas', 'router']);
    expect(sortIps(['fe80::1', 'fd00::2', '192.168.1.2'])).toEqual(['192.168.1.2', 'fd00::2', 'fe80::1']);
  });
});
