// secureDataFolder on a data folder as older versions left it (0755 folders, 0644 files): the kernel's
// state becomes 0700/0600, the folders apps pass through 0711, each app's folder 0700, and a link is
// never followed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../testing/harness.js';
import { dataPaths, secureDataFolder } from './paths.js';

const dir = await tempDir('buckyos-paths-');
after(() => dir.remove());

test('an older data folder gets the modes that keep kernel secrets and other apps\' data from apps', { skip: process.platform === 'win32' && 'no POSIX modes' }, async () => {
  const paths = dataPaths(join(dir.path, 'node'));
  const outside = join(dir.path, 'outside.txt');
  await writeFile(outside, 'not in the data folder', { mode: 0o644 });
  for (const d of [paths.etc, paths.kv, join(paths.data, 'alice', 'notes'), join(paths.logs, 'apps', 'notes@alice@ood1'), join(paths.run, 'notes@alice@ood1'), join(paths.cache, 'alice', 'notes')])
    await mkdir(d, { recursive: true, mode: 0o755 });
  const files = {
    key: paths.deviceKey, identity: paths.nodeIdentity, start: paths.startConfig, wal: join(paths.kv, 'wal-1.log'),
    appLog: join(paths.logs, 'apps', 'notes@alice@ood1.log'), pid: join(paths.run, 'notes@alice@ood1', 'pid.json'),
  };
  for (const f of Object.values(files)) await writeFile(f, 'x', { mode: 0o644 });
  await symlink(outside, join(paths.etc, 'link'));

  await secureDataFolder(paths);
  const mode = async (p: string) => (await lstat(p)).mode & 0o777;
  const expected: [string, number][] = [
    [paths.root, 0o711], [paths.etc, 0o700], [paths.kv, 0o700], [paths.repo, 0o700], [paths.snapshots, 0o700], [paths.pkgs, 0o755],
    [paths.data, 0o711], [join(paths.data, 'alice'), 0o711], [join(paths.data, 'alice', 'notes'), 0o700],
    [paths.cache, 0o711], [join(paths.cache, 'alice', 'notes'), 0o700],
    [paths.logs, 0o711], [join(paths.logs, 'apps'), 0o711], [join(paths.logs, 'apps', 'notes@alice@ood1'), 0o700],
    [paths.run, 0o711], [join(paths.run, 'notes@alice@ood1'), 0o711],
    ...Object.values(files).map((f): [string, number] => [f, 0o600]),
  ];
  for (const [p, m] of expected) assert.equal((await mode(p)).toString(8), m.toString(8), p);
  assert.equal((await stat(outside)).mode & 0o777, 0o644, 'a link in etc/ is not followed');
  await secureDataFolder(paths);
  assert.equal(await mode(paths.deviceKey), 0o600, 'idempotent');
});
