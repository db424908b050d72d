import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchForWake, type WakeEvent } from './wake-detector.js';

function harness() {
  let wall = 1_000_000;
  let mono = 0;
  const events: WakeEvent[] = [];
  const d = watchForWake((e) => events.push(e), { tickMs: 20, thresholdMs: 5000, clock: () => wall, monotonic: () => mono });
  // Each real tick, both clocks move as much as the tick: no jump.
  const steady = setInterval(() => { wall += 20; mono += 20; }, 20);
  return {
    events,
    jumpWall: (ms: number) => { wall += ms; },
    stall: (ms: number) => { wall += ms; mono += ms; },
    stop: () => { clearInterval(steady); d.stop(); },
  };
}

test('steady ticks are not a wake', async () => {
  const h = harness();
  await sleep(200);
  h.stop();
  assert.deepEqual(h.events, []);
});

test('sleep (wall moves, monotonic stands still), a stopped process, and a clock set back are each noticed', async () => {
  const h = harness();
  await sleep(60);
  h.jumpWall(3_600_000);
  await sleep(60);
  h.stall(30_000);
  await sleep(60);
  h.jumpWall(-7_200_000);
  await sleep(60);
  h.stop();
  assert.equal(h.events.length, 3, JSON.stringify(h.events));
  assert.ok(h.events[0].wallJumpMs >= 3_600_000 - 100 && h.events[0].lateMs < 5000);
  assert.ok(h.events[1].lateMs >= 30_000 - 100 && Math.abs(h.events[1].wallJumpMs) < 5000);
  assert.ok(h.events[2].wallJumpMs <= -7_200_000 + 100);
});
