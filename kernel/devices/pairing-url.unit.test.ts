import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalCode, canonicalPairingCode, formatPairingUrl, parsePairingUrl, type PairingInfo } from '../api/devices.js';

const info: PairingInfo = { join_url: 'http://192.168.1.30:3182', fingerprint: 'ABCD-EF23-GH45', pairing_code: 'WXYZ-2345', name: 'nas' };

test('a pairing URL round-trips and is one buckyos:// line', () => {
  const url = formatPairingUrl(info);
  assert.match(url, /^buckyos:\/\/join\?v=1&url=http%3A%2F%2F192\.168\.1\.30%3A3182&fp=ABCD-EF23-GH45&code=WXYZ-2345&name=nas$/);
  assert.deepEqual(parsePairingUrl(url), { ok: true, info });
  assert.deepEqual(parsePairingUrl(`  ${url.replace('ABCD-EF23-GH45', 'abcdef23gh45')}\n`), { ok: true, info }, 'codes as typed');
  const noName = formatPairingUrl({ ...info, name: undefined });
  assert.deepEqual(parsePairingUrl(noName), { ok: true, info: { join_url: info.join_url, fingerprint: info.fingerprint, pairing_code: info.pairing_code } });
  assert.deepEqual(parsePairingUrl(formatPairingUrl({ ...info, join_url: 'http://[fd00::5]:3182/' })), { ok: true, info: { ...info, join_url: 'http://[fd00::5]:3182' } });
});

test('anything else is a structured INVALID_PARAMS, never a throw', () => {
  const good = formatPairingUrl(info);
  // What is wrong comes as a code too, which the page shows in the owner's language.
  const cases: Array<[string, string, string]> = [
    ['other scheme', good.replace('buckyos://', 'https://'), 'notPairing'],
    ['no url', good.replace(/url=[^&]+&/, ''), 'address'],
    ['url with a path', good.replace('3182', '3182%2Fkapi'), 'address'],
    ['file url', good.replace(/url=[^&]+/, 'url=file%3A%2F%2F%2Fetc%2Fpasswd'), 'address'],
    ['port out of range', good.replace('3182', '99999'), 'address'],
    ['no fingerprint', good.replace(/fp=[^&]+&/, ''), 'fingerprint'],
    ['fingerprint with 0 and 1', good.replace('ABCD-EF23-GH45', 'ABCD-EF01-GH45'), 'fingerprint'],
    ['short code', good.replace('WXYZ-2345', 'WXYZ'), 'code'],
    ['future version', good.replace('v=1', 'v=2'), 'version'],
    ['huge', good + '&x=' + 'a'.repeat(2000), 'tooLong'],
    ['empty', '', 'notPairing'],
  ];
  for (const [what, text, problem] of cases) {
    const r = parsePairingUrl(text);
    assert.equal(r.ok, false, what);
    if (!r.ok) {
      assert.match(r.error, /^INVALID_PARAMS: /, what);
      assert.equal(r.problem, problem, what);
    }
  }
  assert.equal(parsePairingUrl(undefined as unknown as string).ok, false);
  assert.throws(() => formatPairingUrl({ ...info, pairing_code: 'nope' }), /^Error: INVALID_PARAMS/);
});

test('codes: canonical form or undefined', () => {
  assert.equal(canonicalCode('wxyz 2345', 2), 'WXYZ-2345');
  assert.equal(canonicalCode('WXYZ-2345-ABCD', 2), undefined);
  assert.equal(canonicalCode('WXYZ-0345', 2), undefined);
  assert.equal(canonicalPairingCode(' wxyz 2345 '), 'WXYZ-2345');
  assert.equal(canonicalPairingCode('WXYZ-234'), undefined);
});
