import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isKrpcError } from '../lib/errors.js';
import { MemoryStore } from './store/memory-store.js';
import { checkNewSubjects } from './subject-names.js';

const storeWith = async (keys: Record<string, string>) => {
  const store = new MemoryStore();
  await store.transact(() => Object.entries(keys).map(([key, value]) => ({ key, value })));
  return store;
};
const refuses = (code: 'ALREADY_EXISTS' | 'INVALID_PARAMS', fn: () => void, what: string) =>
  assert.throws(fn, (e) => isKrpcError(e, code), what);

test('a new device, user or app may not take a name another kind of subject holds, nor a reserved one', async () => {
  const view = await storeWith({
    'devices/nas1/doc': 'jwt', 'users/alice/settings': '{}', 'users/alice/apps/notes/spec': '{}', 'users/root/settings': '{}',
  });
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['devices/notes/doc']), 'device named like an app');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['devices/alice/doc']), 'device named like a user');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['users/nas1/settings']), 'user named like a device');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['users/notes/doc']), 'user named like an app');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['users/alice/apps/nas1/spec']), 'app named like a device');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['users/bob/apps/alice/spec']), 'app named like a user');
  refuses('ALREADY_EXISTS', () => checkNewSubjects(view, ['devices/x1/doc', 'users/x1/settings']), 'both in one transaction');
  for (const key of ['devices/scheduler/doc', 'devices/kernel/doc', 'users/su_bob/settings', 'users/buckycli/settings', 'users/alice/apps/control-panel/spec'])
    refuses('INVALID_PARAMS', () => checkNewSubjects(view, [key]), key);
  // Same kind, the zone's root user, and keys that bring no subject are fine.
  checkNewSubjects(view, ['users/bob/apps/notes/spec', 'devices/nas2/doc', 'devices/nas2/info', 'users/bob/settings', 'users/bob/doc', 'users/root/doc', 'nodes/x/config']);
});
