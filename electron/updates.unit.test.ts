// The update flow around electron-updater (a stand-in updater here: the real one needs a packaged app
// and a release feed): channels, the kernel stopped before the installer takes over, and what a
// failed download or install does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { UpdateFlow, type Updater, type UpdateStatus } from './updates.js';
import type { DesktopNotification } from './bridge.js';

class StandInUpdater extends EventEmitter implements Updater {
  channel: string | null = null;
  allowPrerelease = false;
  allowDowngrade = true;
  autoDownload = false;
  autoInstallOnAppQuit = true;
  installs = 0;
  installThrows = false;
  checkForUpdates = async () => undefined;
  quitAndInstall(): void {
    this.installs += 1;
    if (this.installThrows) throw new Error('no installer');
  }
}

function setup() {
  const updater = new StandInUpdater();
  const events: string[] = [];
  const statuses: UpdateStatus[] = [];
  const notes: DesktopNotification[] = [];
  const flow = new UpdateFlow({
    updater, channel: 'stable', installTimeoutMs: 50,
    kernel: { stop: async () => { events.push('kernel stopped'); }, start: () => { events.push('kernel started'); } },
    notify: (n) => notes.push(n), onStatus: (s) => statuses.push(s),
  });
  return { updater, events, statuses, notes, flow };
}

test('stable and beta channels; no silent install on quit; no downgrade', () => {
  const { updater, flow } = setup();
  assert.deepEqual([updater.channel, updater.allowPrerelease, updater.allowDowngrade, updater.autoInstallOnAppQuit, updater.autoDownload], ['latest', false, false, false, true]);
  flow.setChannel('beta');
  assert.deepEqual([updater.channel, updater.allowPrerelease], ['beta', true]);
});

test('an available update is announced once downloading, and installed only after the kernel stopped', async () => {
  const { updater, events, notes, flow } = setup();
  updater.emit('update-available', { version: '0.2.0' });
  assert.equal(notes[0].kind, 'update-available');
  assert.equal(notes[0].tag, 'update:0.2.0');
  await flow.install();
  assert.equal(updater.installs, 0, 'nothing installs before the download is done');
  updater.emit('update-downloaded', { version: '0.2.0' });
  assert.deepEqual(flow.status(), { kind: 'ready', version: '0.2.0' });
  const install = flow.install();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(events, ['kernel stopped']);
  assert.equal(updater.installs, 1);
  await install;
  // The installer never took over: this version keeps running, with its kernel started again.
  assert.deepEqual(events, ['kernel stopped', 'kernel started']);
  assert.equal(flow.status().kind, 'failed');
});

test('an installer that fails at once restarts the kernel; a failed download changes nothing', async () => {
  const { updater, events, flow } = setup();
  updater.emit('update-downloaded', { version: '0.3.0' });
  updater.installThrows = true;
  await flow.install();
  assert.deepEqual(events, ['kernel stopped', 'kernel started']);
  assert.match((flow.status() as { error: string }).error, /not installed \(no installer\); this version keeps running/);

  const other = setup();
  other.updater.emit('update-available', { version: '0.4.0' });
  other.updater.emit('error', new Error('sha512 checksum mismatch'));
  assert.deepEqual(other.flow.status(), { kind: 'failed', error: 'sha512 checksum mismatch', version: '0.4.0' });
  assert.deepEqual(other.events, []);
});
