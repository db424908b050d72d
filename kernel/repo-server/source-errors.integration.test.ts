// A source that cannot be asked (unreachable, refusing us) is named with the cause when chunks are
// missing, instead of the bare "no source has them".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { buildPkg } from '../pkg/build.js';
import { generateEd25519 } from '../lib/identity/keys.js';
import { tempDir } from '../pkg/test-fixtures.js';
import { RepoClient } from './client.js';
import { randomLoopback, removeDir, startTestRepo, testAuth, type TestRepo } from './test-fixtures.js';

const host = randomLoopback();
const repos: TestRepo[] = [];
let work = '';
after(async () => {
  for (const r of repos) await r.stop();
  if (work) await removeDir(work);
});

test('prepare_ready names a source it could not ask, with its error', async () => {
  work = await tempDir('repo-source-errors');
  const auth = await testAuth();
  const admin = await auth.token('alice');
  const pkg = await buildPkg(resolve(import.meta.dirname, '../../pkgs/notes'), { out: join(work, 'notes.pkg'), publisherKeyPem: generateEd25519().privateKeyPem });
  const upstreamRepo = await startTestRepo(auth, join(work, 'upstream'), host);
  repos.push(upstreamRepo);
  await new RepoClient(upstreamRepo.url, admin).upload(pkg.file, { name: pkg.meta.name });
  const mirrorRepo = await startTestRepo(auth, join(work, 'mirror'), host);
  repos.push(mirrorRepo);
  const mirror = new RepoClient(mirrorRepo.url, admin);

  // Index the upstream's entries, then lose the upstream before the chunks come over.
  await mirror.setSources([{ type: 'repo', url: upstreamRepo.url, token: await auth.token('n1', { kind: 'device' }) }]);
  await mirror.sync();
  const gone = `http://${host}:1`;
  await mirror.setSources([{ type: 'repo', url: gone }]);
  const r = await mirror.prepareReady('notes');
  assert.equal(r.ready, false);
  assert.ok((r.missing_count ?? 0) > 0);
  assert.equal(r.source_errors?.length, 1, JSON.stringify(r));
  assert.match(r.source_errors[0], new RegExp(`^repo:${gone}: UNAVAILABLE: `));
});
