import { describe, expect, test } from 'vitest';
import { childKey, editProblem, parentKey, prettyValue } from './tree';

describe('the settings tree', () => {
  test('keys are built and taken apart by folder', () => {
    expect(childKey('', 'users')).toBe('users');
    expect(childKey('users/alice', 'apps')).toBe('users/alice/apps');
    expect(parentKey('users/alice/apps')).toBe('users/alice');
    expect(parentKey('boot')).toBe('');
  });
  test('JSON values read indented; other text as it is', () => {
    expect(prettyValue('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyValue('plain')).toEqual({ text: 'plain', json: false });
  });
  test('an edit of a JSON value must stay JSON, and must change something', () => {
    expect(editProblem('{"a":1}', '{"a":')).toBe('invalidJson');
    expect(editProblem('{"a":1}', '{ "a": 1 }')).toBe('unchanged');
    expect(editProblem('{"a":1}', '{"a":2}')).toBeUndefined();
    expect(editProblem('x', 'y')).toBeUndefined();
  });
});
