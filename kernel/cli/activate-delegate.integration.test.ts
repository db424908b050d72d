// `buckyos activate --delegate-devices`: the owner signs the main server's enrolment delegation while
// the owner key exists for the activation, so from the first boot the zone can add devices without the
// recovery words (`buckyos devices list` says so); without the flag (every other test) it cannot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { activatedOod, cli, stopWithApps, type NodeProcess } from '../testing/harness.js';
import type { DelegationStatus } from '../api/devices.js';

let ood: NodeProcess | undefined;
let remove: (() => Promise<void>) | undefined;
after(async () => {
  if (ood) await stopWithApps(ood);
  await remove?.();
});

test('activate --delegate-devices: the delegation is in force from the first boot, for about a year, and says so', async () => {
  const started = await activatedOod({ activateArgs: ['--delegate-devices'] });
  ood = started.ood;
  remove = started.dir.remove;
  const list = await cli(['devices', 'list', '--json'], started.env);
  assert.equal(list.code, 0, list.stderr);
  const { delegation } = JSON.parse(list.stdout) as { delegation: DelegationStatus };
  assert.equal(delegation.state, 'active');
  const days = ((delegation.exp ?? 0) - Date.now() / 1000) / 86_400;
  assert.ok(days > 360 && days <= 366, `the delegation lasts ${days.toFixed(1)} days`);
  const human = await cli(['devices', 'list'], started.env);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Approval without the recovery words: active \(until \d{4}-\d{2}-\d{2}\)/);
});
