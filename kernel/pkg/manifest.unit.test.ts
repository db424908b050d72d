import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { validateManifest } from './manifest.js';
import { relativePathProblem } from './safe-path.js';
import { isIgnored, parsePkgIgnore } from './pkgignore.js';

const minimal = () => ({ name: 'notes', version: '1.0.0', start: { cmd: ['node', 'server.mjs'] }, health: { path: '/health' } });

const refused = (input: unknown, pattern: RegExp) =>
  assert.throws(() => validateManifest(input), (e) => isKrpcError(e, 'INVALID_PARAMS') && pattern.test(e.message), `expected ${pattern}`);

test('a minimal manifest gets every default filled in', () => {
  const m = validateManifest(minimal());
  assert.deepEqual(m, {
    ...minimal(),
    description: '',
    deps: {},
    exposes: {},
    install: { data_mounts: [], bind: '127.0.0.1' },
    min_resources: { memory_mb: 64 },
    platform: 'any',
  });
});

test('the input object is not modified', () => {
  const input = minimal();
  validateManifest(input);
  assert.deepEqual(input, minimal());
});

test('a full manifest is accepted as written', () => {
  const full = {
    ...minimal(),
    description: 'd',
    author: 'me',
    deps: { 'lib-a': '^1.2', other: '>=1.0 <2' },
    start: { cmd: ['node', 'bin/server.mjs', '--flag'], env: { MODE: 'prod' } },
    health: { path: '/health', timeout_ms: 3000 },
    exposes: { www: { protocol: 'http' as const } },
    install: { data_mounts: ['files', 'cache/thumbs'], bind: '0.0.0.0' },
    min_resources: { memory_mb: 128 },
    platform: 'linux-amd64',
    include: ['bin', 'public/index.html'],
  };
  assert.deepEqual(validateManifest(full), full);
});

test('refuses bad manifests with a message naming the field', () => {
  refused(null, /JSON object/);
  refused([], /JSON object/);
  refused({ ...minimal(), start: undefined }, /"start" is required/);
  refused({ ...minimal(), name: '../evil' }, /pkg name/);
  refused({ ...minimal(), name: 'Up' }, /pkg name/);
  refused({ ...minimal(), version: '^1.0' }, /exact semver version/);
  refused({ ...minimal(), version: 'one' }, /exact semver version/);
  refused({ ...minimal(), deps: { '../x': '1.0' } }, /deps/);
  refused({ ...minimal(), deps: { lib: 'not a range' } }, /deps\.lib/);
  refused({ ...minimal(), surprise: 1 }, /unknown field "surprise"/);
  refused({ ...minimal(), start: { cmd: [] } }, /start\.cmd/);
  refused({ ...minimal(), start: { cmd: ['node', '../outside.mjs'] } }, /start\.cmd\[1\].*climbs out/);
  refused({ ...minimal(), start: { cmd: ['node', '/etc/passwd'] } }, /start\.cmd\[1\].*absolute/);
  refused({ ...minimal(), start: { cmd: ['node'] } }, /script to run is missing/);
  refused({ ...minimal(), start: { cmd: ['node', 'x.mjs'], env: { 'BAD-NAME': 'x' } } }, /start\.env/);
  refused({ ...minimal(), health: { path: 'health' } }, /health\.path/);
  refused({ ...minimal(), health: { path: '/h', timeout_ms: 10 } }, /timeout_ms/);
  refused({ ...minimal(), exposes: { www: { protocol: 'ftp' } } }, /exposes\.www\.protocol must be one of "http", "tcp"/);
  refused({ ...minimal(), install: { bind: '10.0.0.1' } }, /install\.bind must be one of/);
  refused({ ...minimal(), install: { data_mounts: ['../../etc'] } }, /data_mounts\[0\].*climbs out/);
  refused({ ...minimal(), min_resources: { memory_mb: 1.5 } }, /memory_mb/);
  refused({ ...minimal(), min_resources: { memory_mb: 1e12 } }, /memory_mb/);
  refused({ ...minimal(), platform: 'linux-x86_64' }, /platform/);
  refused({ ...minimal(), include: ['/abs'] }, /include\[0\].*absolute/);
  refused({ ...minimal(), description: 'x'.repeat(5000) }, /description/);
});

test('relativePathProblem refuses every way out of a folder', () => {
  for (const ok of ['a', 'a/b.txt', '.hidden', 'dir/.x/y', 'public/index.html']) assert.equal(relativePathProblem(ok), undefined, ok);
  const bad: Array<[unknown, RegExp]> = [
    ['', /non-empty/],
    [42, /non-empty/],
    ['/etc/passwd', /absolute/],
    ['C:/x', /absolute/],
    ['..', /climbs out/],
    ['a/../../b', /climbs out/],
    ['a\\b', /backslash/],
    ['a//b', /not normalized/],
    ['./a', /not normalized/],
    ['a/', /not normalized/],
    ['.', /not normalized/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['con.txt', /every platform/],
    ['ab:c', /every platform/],
    ['a:b', /absolute/],
    ['trailing.', /every platform/],
    ['x'.repeat(2000), /longer than/],
    [`${'x'.repeat(300)}/a`, /name longer/],
  ];
  for (const [p, re] of bad) assert.match(relativePathProblem(p) ?? 'accepted', re, JSON.stringify(p));
});

test('.pkgignore: comments, globs, anchoring, folders only, re-include', () => {
  const rules = parsePkgIgnore(['# comment', '', '*.log', '/build', 'tmp/', 'docs/**/*.md', '!keep.log', 'sub/file.txt'].join('\n'));
  const cases: Array<[string, boolean, boolean]> = [
    ['a.log', false, true],
    ['deep/dir/a.log', false, true],
    ['keep.log', false, false],
    ['build', true, true],
    ['src/build', true, false],
    ['tmp', true, true],
    ['tmp', false, false],
    ['x/tmp', true, true],
    ['docs/a.md', false, true],
    ['docs/x/y/a.md', false, true],
    ['docs/a.txt', false, false],
    ['sub/file.txt', false, true],
    ['other/sub/file.txt', false, false],
    ['server.mjs', false, false],
  ];
  for (const [path, isDir, expected] of cases) assert.equal(isIgnored(rules, path, isDir), expected, path);
});

test('icon: an inline base64 image is accepted; a link or a script is not', () => {
  const base = { name: 'a', version: '1.0.0', start: { cmd: ['node', 'a.mjs'] }, health: { path: '/h' } };
  assert.equal(validateManifest({ ...base, icon: 'data:image/png;base64,iVBORw0KGgo=' }).icon, 'data:image/png;base64,iVBORw0KGgo=');
  for (const icon of ['https://example.com/a.png', 'data:text/html;base64,PHNjcmlwdD4=', 'data:image/svg+xml,<svg onload=alert(1)>', `data:image/png;base64,${'A'.repeat(20000)}`])
    assert.throws(() => validateManifest({ ...base, icon }), /icon/, icon.slice(0, 40));
});
