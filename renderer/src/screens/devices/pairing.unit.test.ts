import { describe, expect, it } from 'vitest';
import { formatPairingUrl, parsePairingUrl } from '../../../../kernel/api/devices';
import { canonicalPairingCode, readPairingUrl, suggestName } from './pairing';

const good = formatPairingUrl({ join_url: 'http://192.168.1.30:3182', fingerprint: 'ABCD-EFGH-2345', pairing_code: 'WXYZ-7654', name: 'nas' });
const inputs = [
  good,
  `  ${good.toUpperCase().replace('BUCKYOS://JOIN?', 'buckyos://join?')}  `,
  good.replace('code=WXYZ-7654', 'code=wxyz7654'),
  good.replace('v=1', 'v=2'),
  good.replace(/url=[^&]+/, 'url=ftp%3A%2F%2Fx'),
  good.replace(/fp=[^&]+/, 'fp=ABCD'),
  good.replace(/code=[^&]+/, 'code=11111111'),
  'https://example.com/',
  'buckyos://join?' + 'x'.repeat(2000),
  'buckyos://join?url=http%3A%2F%2F%5B%3A%3A1%5D%3A3182&fp=aaaa-bbbb-cccc&code=dddd-eeee',
];

describe('pairing URL', () => {
  it('reads exactly what the kernel contract reads', () => {
    for (const text of inputs) {
      const kernel = parsePairingUrl(text);
      const page = readPairingUrl(text);
      expect(page.ok, text).toBe(kernel.ok);
      if (kernel.ok && page.ok) expect(page.info).toEqual(kernel.info);
    }
  });

  it('names what is wrong', () => {
    expect(readPairingUrl('hello')).toEqual({ ok: false, problem: 'notPairing' });
    expect(readPairingUrl(good.replace(/fp=[^&]+/, 'fp=ABCD'))).toEqual({ ok: false, problem: 'fingerprint' });
    expect(readPairingUrl(good.replace('v=1', 'v=9'))).toEqual({ ok: false, problem: 'version' });
  });

  it('canonical codes and suggested names', () => {
    expect(canonicalPairingCode(' wxyz 7654 ')).toBe('WXYZ-7654');
    expect(canonicalPairingCode('WXYZ-765')).toBeUndefined();
    expect(suggestName('My NAS.local', [])).toBe('my-nas-local');
    expect(suggestName('nas', ['nas', 'nas-2'])).toBe('nas-3');
    expect(suggestName('1router', [])).toBe('d-1router');
    expect(suggestName(undefined, [])).toBe('device');
  });
});
