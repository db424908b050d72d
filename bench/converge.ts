// bench/converge: on a real OOD process, the time from writing an app spec (through the gateway, as
// the owner) until the app answers through the gateway (first 200 on :3180/apps/<id>/). Each run is a
// new app; it is deleted again (and gone from the gateway) before the next run. Target: p50 and p95
// ≤ 1 s over 20 runs.
// Run: node --import tsx bench/converge.ts [--runs 20]
import os from 'node:os';
import { activatedOod } from '../kernel/testing/harness.js';
import { login } from '../kernel/cli/session.js';
import { FIXTURE_PKGS, USER, echoAppSpec, loadAverage, percentile, summary, waitForStatus } from './lib/zone-process.js';
import { numberArg } from './lib/args.js';

const RUNS = numberArg('runs', 20);
const TARGET_MS = 1000;

const { ood, env, dir } = await activatedOod({ args: ['--pkgs', FIXTURE_PKGS] });
try {
  const session = await login({ zone: env.BUCKYOS_ZONE, user: USER, password: env.BUCKYOS_PASSWORD });
  const kv = session.client('system_config');
  const total: number[] = [];
  const ack: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const app = `conv${i}`;
    const key = `users/${USER}/apps/${app}/spec`;
    const url = `http://${ood.host}:3180/apps/${app}/`;
    const t0 = Date.now();
    await kv.call('sys_config_set', { key, value: echoAppSpec(app, 40 + i) });
    const acked = Date.now();
    const answered = await waitForStatus(url, 200);
    // Run 0 warms the loader, the package and the connection pools; it is not counted.
    if (i > 0) {
      total.push(answered - t0);
      ack.push(acked - t0);
    }
    await kv.call('sys_config_delete', { key });
    await waitForStatus(url, 404);
  }
  console.log(`converge: spec write → first 200 through the gateway: ${summary(total)}`);
  console.log(`  of which the spec write itself: ${summary(ack)}`);
  console.log(`  target p50/p95 ≤ ${TARGET_MS} ms: ${percentile(total, 50) <= TARGET_MS && percentile(total, 95) <= TARGET_MS ? 'met' : 'NOT met'}`);
  console.log(`  machine: ${os.cpus().length} cores, ${os.cpus()[0]?.model}, load average ${await loadAverage()}`);
} finally {
  await ood.kill('SIGTERM');
  await dir.remove();
}
