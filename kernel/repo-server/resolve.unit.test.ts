import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import type { VersionRow } from './index-db.js';
import { dependencyClosure, describeUnresolved, selectVersion, type ResolveView } from './resolve.js';

const row = (name: string, version: string, ready = true): VersionRow => ({
  name, version, ready, meta_id: `sha256:${name}-${version}`.padEnd(71, '0'), author_pk: 'k', published_at: 0, origin: 'publish',
});

function view(rows: VersionRow[], deps: Record<string, Record<string, string>>): ResolveView {
  return {
    versions: (n) => rows.filter((r) => r.name === n),
    deps: (id) => deps[rows.find((r) => r.meta_id === id)!.name + '@' + rows.find((r) => r.meta_id === id)!.version],
  };
}

test('selectVersion: highest match, ready only on request, pinned object ids', () => {
  const rows = [row('a', '1.0.0'), row('a', '1.2.0'), row('a', '1.3.0', false), row('a', '2.0.0')];
  assert.equal(selectVersion(rows, { version: '^1' }, false)?.version, '1.3.0');
  assert.equal(selectVersion(rows, { version: '^1' }, true)?.version, '1.2.0');
  assert.equal(selectVersion(rows, { version: '*' }, true)?.version, '2.0.0');
  assert.equal(selectVersion(rows, { version: '1.3.0' }, true), undefined);
  assert.equal(selectVersion(rows, { version: '^3' }, false), undefined);
  const pinned = rows[1].meta_id;
  assert.equal(selectVersion(rows, { version: '*', objid: pinned }, true)?.version, '1.2.0');
  assert.equal(selectVersion(rows, { version: '*', objid: pinned.slice('sha256:'.length) }, true)?.version, '1.2.0');
  assert.equal(selectVersion(rows, { version: '^2', objid: pinned }, true), undefined, 'the pinned object must also match the range');
  assert.throws(() => selectVersion(rows, { version: 'bogus!' }, true), (e) => isKrpcError(e, 'INVALID_PARAMS'));
});

test('dependencyClosure: deps before dependents, each version once, cycles end, gaps reported', () => {
  const rows = [row('app', '1.0.0'), row('ui', '1.0.0'), row('ui', '1.1.0', false), row('core', '1.0.0'), row('core', '2.0.0')];
  const deps = { 'app@1.0.0': { ui: '^1', core: '^1' }, 'ui@1.0.0': { core: '^1' }, 'ui@1.1.0': { core: '^2' }, 'core@1.0.0': { app: '*' }, 'core@2.0.0': {} };
  const v = view(rows, deps);
  const ready = dependencyClosure(v, rows[0], true);
  assert.deepEqual(ready.order.map((r) => `${r.name}@${r.version}`), ['core@1.0.0', 'ui@1.0.0', 'app@1.0.0']);
  assert.deepEqual(ready.unresolved, []);
  const any = dependencyClosure(v, rows[0], false);
  assert.deepEqual(any.order.map((r) => `${r.name}@${r.version}`), ['core@1.0.0', 'core@2.0.0', 'ui@1.1.0', 'app@1.0.0']);
  const gap = dependencyClosure(view([row('x', '1.0.0')], { 'x@1.0.0': { missing: '^1', alsomissing: '~2.1' } }), row('x', '1.0.0'), true);
  assert.deepEqual(gap.unresolved.map(describeUnresolved), ['alsomissing#~2.1 (needed by x#1.0.0)', 'missing#^1 (needed by x#1.0.0)']);
  assert.deepEqual(gap.order.map((r) => r.name), ['x']);
});
