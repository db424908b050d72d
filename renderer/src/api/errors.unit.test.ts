import { describe, expect, test } from 'vitest';
import { explainError, waitSecondsOf } from './errors';
import { PanelError, parseWireError } from './krpc';
import { en } from '../i18n/en';
import { zh } from '../i18n/zh';

const lookup = (tree: unknown, key: string) => key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], tree);
const CODES = ['INVALID_PARAMS', 'UNAUTHENTICATED', 'TOKEN_EXPIRED', 'PERMISSION_DENIED', 'NOT_FOUND', 'ALREADY_EXISTS', 'VERSION_CONFLICT',
  'NOT_ACTIVATED', 'ALREADY_ACTIVATED', 'UNKNOWN_METHOD', 'PAYLOAD_TOO_LARGE', 'RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT', 'INTEGRITY',
  'FAILED_PRECONDITION', 'INTERNAL', 'UNREACHABLE', 'BAD_ANSWER'] as const;

describe('wire errors', () => {
  test('"<CODE>: message" keeps the code and the message', () => {
    const e = parseWireError('PERMISSION_DENIED: bob (app control-panel) has no read permission on obj://config/users/');
    expect(e.code).toBe('PERMISSION_DENIED');
    expect(e.detail).toMatch(/^bob/);
  });
  test('an upstream display string without a code is INTERNAL, text kept for the details fold', () => {
    const e = parseWireError('something broke');
    expect(e.code).toBe('INTERNAL');
    expect(e.detail).toBe('something broke');
  });
  test('an unknown code-looking prefix is not trusted as a code', () => {
    expect(parseWireError('BOGUS_CODE: x').code).toBe('INTERNAL');
  });
});

describe('error → sentence and next step', () => {
  test.each(CODES)('%s has a sentence and a next step in English and Chinese', (code) => {
    const e = explainError(new PanelError(code, 'detail'));
    for (const lang of [en, zh]) {
      expect(typeof lookup(lang, e.what)).toBe('string');
      expect(typeof lookup(lang, e.next)).toBe('string');
    }
  });
  test('login context: a wrong password reads as "do not match", not "not signed in"', () => {
    const e = explainError(new PanelError('UNAUTHENTICATED', 'wrong user name or password'), 'login');
    expect(lookup(en, e.what)).toMatch(/do not match/);
    expect(e.retry).toBe(false);
  });
  test('lockout names the wait in minutes, rounded up', () => {
    const e = explainError(new PanelError('RATE_LIMITED', 'too many failed logins; try again in 61 s'), 'login');
    expect(e.what).toBe('errors.login.locked_timed.what');
    expect(e.values.minutes).toBe(2);
    expect(waitSecondsOf('try again in 42 s')).toBe(42);
    expect(waitSecondsOf('try again later')).toBeUndefined();
  });
  test('lockout without a time still gets a plain sentence', () => {
    const e = explainError(new PanelError('RATE_LIMITED', 'slow down'), 'login');
    expect(e.what).toBe('errors.login.locked.what');
  });
  test('a lockout under a minute names the seconds the kernel said', () => {
    const e = explainError(new PanelError('RATE_LIMITED', 'too many failed logins; try again in 42 s'), 'login');
    expect(e.next).toBe('errors.login.locked_seconds.next');
    expect(e.values.seconds).toBe(42);
    expect((lookup(en, e.next) as string).replace('{{seconds}}', '42')).toBe('Try again in 42 seconds.');
    expect(explainError(new PanelError('RATE_LIMITED', 'try again in 2 s')).what).toBe('errors.RATE_LIMITED_seconds.what');
  });
  test('any thrown value becomes INTERNAL with its message in the details', () => {
    const e = explainError(new Error('boom'));
    expect(e.code).toBe('INTERNAL');
    expect(e.detail).toBe('boom');
    expect(e.retry).toBe(true);
  });
  test('every context key exists in both languages', () => {
    for (const [ctx, code] of [['login', 'UNAUTHENTICATED'], ['login', 'PERMISSION_DENIED'], ['activation', 'ALREADY_ACTIVATED'], ['activation', 'INTEGRITY'], ['activation', 'INVALID_PARAMS']] as const) {
      const e = explainError(new PanelError(code, ''), ctx);
      expect(typeof lookup(zh, e.what)).toBe('string');
    }
  });
});
