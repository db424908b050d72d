// A failing dependency is logged once, then reminded at doubling intervals, and once when it is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KrpcError } from './errors.js';
import type { Logger } from './log.js';
import { formatDuration, OutageLog } from './outage-log.js';

function recorder() {
  const lines: { lvl: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (lvl: string) => (msg: string, fields?: Record<string, unknown>) => { lines.push({ lvl, msg, fields }); };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return { log, lines };
}

test('one WARN when the OOD stops answering, reminders that back off, one INFO when it is back', () => {
  const { log, lines } = recorder();
  let now = 0;
  const outage = new OutageLog(log, 'the OOD', { firstReminderMs: 60_000, now: () => now });
  const down = new KrpcError('UNAVAILABLE', 'connection refused');
  outage.ok();
  assert.equal(lines.length, 0, 'nothing to say while all is well');
  for (now = 0; now < 10 * 60_000; now += 1000) outage.failed(down, 'reading the node config');
  const warns = lines.filter((l) => l.lvl === 'warn');
  // at 0, then reminders at 1 min, 3 min (+2), 7 min (+4): 4 WARNs in 10 minutes of one failure a second
  assert.equal(warns.length, 4, JSON.stringify(warns));
  assert.match(warns[0].msg, /cannot reach the OOD; retrying quietly/);
  assert.match(warns[1].msg, /still cannot reach the OOD/);
  assert.equal(warns[1].fields?.for, '1m');
  assert.equal(outage.failing, true);
  outage.ok();
  outage.ok();
  const infos = lines.filter((l) => l.lvl === 'info');
  assert.equal(infos.length, 1);
  assert.match(infos[0].msg, /the OOD answers again/);
  assert.equal(infos[0].fields?.after, '10m');
  assert.equal(outage.failing, false);
  outage.failed(down, 'again');
  assert.match(lines.at(-1)!.msg, /cannot reach the OOD; retrying quietly/, 'a new outage is announced again');
});

test('a different error while failing is worth a WARN of its own', () => {
  const { log, lines } = recorder();
  let now = 0;
  const outage = new OutageLog(log, 'the OOD', { now: () => now });
  outage.failed(new KrpcError('UNAVAILABLE', 'refused'), 'x');
  now = 1000;
  outage.failed(new KrpcError('UNAVAILABLE', 'refused'), 'x');
  now = 2000;
  outage.failed(new KrpcError('PERMISSION_DENIED', 'no'), 'x');
  assert.deepEqual(lines.map((l) => l.lvl), ['warn', 'debug', 'warn']);
});

test('formatDuration', () => {
  assert.equal(formatDuration(4_400), '4s');
  assert.equal(formatDuration(125_000), '2m 5s');
  assert.equal(formatDuration(3_600_000 + 120_000), '1h 2m');
});
