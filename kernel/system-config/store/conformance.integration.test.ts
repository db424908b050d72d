// The same KvStore behaviour checked against the reference MemoryStore and the durable LogStore.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from './memory-store.js';
import { openLogStore } from './log-store.js';
import type { KvChange, KvStore } from './types.js';
import { tempDir } from '../../testing/harness.js';

interface Subject {
  store: KvStore;
  /** Closes and reopens the same store (undefined for stores without persistence). */
  reopen?: () => Promise<KvStore>;
  dispose(): Promise<void>;
}

const factories: Record<string, () => Promise<Subject>> = {
  MemoryStore: async () => {
    const store = new MemoryStore();
    return { store, dispose: () => store.close() };
  },
  LogStore: async () => {
    const dir = await tempDir('kv-conformance-');
    let store: KvStore = await openLogStore(dir.path);
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await openLogStore(dir.path);
        return store;
      },
      dispose: async () => {
        await store.close();
        await dir.remove();
      },
    };
  },
};

const put = (store: KvStore, key: string, value: string | null) => store.transact(() => [{ key, value }]);

for (const [name, open] of Object.entries(factories)) {
  describe(`KvStore conformance: ${name}`, () => {
    const withStore = (title: string, body: (s: Subject) => Promise<void>): void => {
      test(title, async () => {
        const s = await open();
        try { await body(s); } finally { await s.dispose(); }
      });
    };

    withStore('create, update and delete bump the key revision and the global revision', async ({ store }) => {
      assert.equal(store.globalRevision(), 0);
      assert.equal(store.revisionOf('a'), 0);
      assert.equal(await put(store, 'a', 'one'), 1);
      assert.deepEqual(store.get('a'), { value: 'one', revision: 1 });
      assert.equal(await put(store, 'a', 'two'), 2);
      assert.deepEqual(store.get('a'), { value: 'two', revision: 2 });
      assert.equal(await put(store, 'a', null), 3);
      assert.equal(store.get('a'), undefined);
      assert.equal(store.revisionOf('a'), 3);
      assert.equal(store.globalRevision(), 3);
    });

    withStore('a re-created key keeps counting from its tombstone', async ({ store }) => {
      await put(store, 'k', 'v');
      await put(store, 'k', null);
      await put(store, 'other', 'x');
      await put(store, 'k', 'again');
      assert.deepEqual(store.get('k'), { value: 'again', revision: 3 });
      assert.equal(store.revisionOf('other'), 1);
      assert.equal(store.revisionOf('never'), 0);
    });

    withStore('keysWithPrefix lists live keys under a prefix only', async ({ store }) => {
      await store.transact(() => [
        { key: 'users/alice/settings', value: '{}' },
        { key: 'users/bob/settings', value: '{}' },
        { key: 'users/carol/settings', value: '{}' },
        { key: 'usersx/evil', value: '{}' },
        { key: 'nodes/ood1/config', value: '{}' },
      ]);
      await put(store, 'users/bob/settings', null);
      assert.deepEqual(store.keysWithPrefix('users/').sort(), ['users/alice/settings', 'users/carol/settings']);
      assert.deepEqual(store.keysWithPrefix('nodes/'), ['nodes/ood1/config']);
      assert.deepEqual(store.keysWithPrefix('zone/'), []);
      assert.equal(store.keysWithPrefix('').length, 4);
    });

    withStore('a multi-key transaction is one global revision and one notification', async ({ store }) => {
      const seen: Array<{ changes: KvChange[]; rev: number }> = [];
      store.subscribe((changes, rev) => seen.push({ changes, rev }));
      const rev = await store.transact(() => [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'a', value: '3' },
      ]);
      assert.equal(rev, 1);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].rev, 1);
      assert.deepEqual(seen[0].changes, [
        { key: 'a', value: '1', revision: 1, globalRevision: 1 },
        { key: 'b', value: '2', revision: 1, globalRevision: 1 },
        { key: 'a', value: '3', revision: 2, globalRevision: 1 },
      ]);
      assert.deepEqual(store.get('a'), { value: '3', revision: 2 });
    });

    withStore('a plan that throws writes nothing and the store keeps working', async ({ store }) => {
      await put(store, 'a', 'before');
      const boom = new Error('plan refused');
      await assert.rejects(store.transact((view) => {
        assert.equal(view.get('a')?.value, 'before');
        throw boom;
      }), (e) => e === boom);
      assert.equal(store.globalRevision(), 1);
      assert.deepEqual(store.get('a'), { value: 'before', revision: 1 });
      assert.equal(await put(store, 'a', 'after'), 2);
    });

    withStore('an empty plan is a no-op that returns the current revision', async ({ store }) => {
      await put(store, 'a', '1');
      assert.equal(await store.transact(() => []), 1);
      assert.equal(store.globalRevision(), 1);
    });

    withStore('plans see writes queued before them, and commit in call order', async ({ store }) => {
      const increments = Array.from({ length: 50 }, () =>
        store.transact((view) => {
          const n = Number(view.get('counter')?.value ?? '0');
          return [{ key: 'counter', value: String(n + 1) }, { key: `step/${n + 1}`, value: String(view.revisionOf('counter')) }];
        }),
      );
      const revisions = await Promise.all(increments);
      assert.deepEqual(revisions, Array.from({ length: 50 }, (_, i) => i + 1));
      assert.deepEqual(store.get('counter'), { value: '50', revision: 50 });
      assert.equal(store.get('step/50')?.value, '49');
      assert.equal(store.keysWithPrefix('step/').length, 50);
    });

    withStore('a view sees queued deletes and keys', async ({ store }) => {
      await store.transact(() => [{ key: 'p/a', value: '1' }, { key: 'p/b', value: '1' }]);
      const first = put(store, 'p/a', null);
      const second = put(store, 'p/c', '1');
      let listed: string[] = [];
      const third = store.transact((view) => {
        listed = view.keysWithPrefix('p/').sort();
        assert.equal(view.get('p/a'), undefined);
        assert.equal(view.revisionOf('p/a'), 2);
        return [];
      });
      await Promise.all([first, second, third]);
      assert.deepEqual(listed, ['p/b', 'p/c']);
    });

    withStore('changesSince returns later changes oldest first; subscribe stops after unsubscribe', async ({ store }) => {
      const heard: number[] = [];
      const unsubscribe = store.subscribe((_, rev) => heard.push(rev));
      await put(store, 'a', '1');
      await store.transact(() => [{ key: 'b', value: '1' }, { key: 'c', value: '1' }]);
      unsubscribe();
      await put(store, 'a', null);
      assert.deepEqual(heard, [1, 2]);
      assert.deepEqual(store.changesSince(3), []);
      assert.deepEqual(store.changesSince(1), [
        { key: 'b', value: '1', revision: 1, globalRevision: 2 },
        { key: 'c', value: '1', revision: 1, globalRevision: 2 },
        { key: 'a', value: null, revision: 2, globalRevision: 3 },
      ]);
      const all = store.changesSince(0);
      assert.ok(Array.isArray(all));
      assert.deepEqual(all.map((c) => c.globalRevision), [1, 2, 2, 3]);
    });

    withStore('changesSince reports "compacted" once the history no longer reaches back', async ({ store }) => {
      for (let i = 0; i < 12; i++) await store.transact(() => Array.from({ length: 1000 }, (_, j) => ({ key: `k${j}`, value: String(i) })));
      assert.equal(store.changesSince(0), 'compacted');
      const recent = store.changesSince(10);
      assert.ok(Array.isArray(recent));
      assert.equal(recent.length, 2000);
    });

    if (name !== 'MemoryStore') withStore('reopen gives back the same state, revisions, tombstones and history', async (s) => {
      assert.ok(s.reopen);
      await s.store.transact(() => [{ key: 'a', value: 'x' }, { key: 'b', value: 'y' }]);
      await put(s.store, 'a', null);
      await put(s.store, 'b', 'z');
      await put(s.store, 'quote"d/\\key\u2028', 'multi\nline \u{1F600} value');
      const before = { rev: s.store.globalRevision(), changes: s.store.changesSince(0) };
      const store = await s.reopen();
      assert.equal(store.globalRevision(), before.rev);
      assert.equal(store.get('a'), undefined);
      assert.equal(store.revisionOf('a'), 2);
      assert.deepEqual(store.get('b'), { value: 'z', revision: 2 });
      assert.deepEqual(store.get('quote"d/\\key\u2028'), { value: 'multi\nline \u{1F600} value', revision: 1 });
      assert.deepEqual(store.changesSince(0), before.changes);
      assert.equal(await put(store, 'a', 'back'), before.rev + 1);
      assert.equal(store.revisionOf('a'), 3);
    });
  });
}
