// bench/permissions: the permission preview of one subject over a zone's whole key space at 100 people
// × 1,000 apps (target ≤ 100 ms), computed by the zone's own enforcer (createRbac, as system-config
// builds it), plus "who can write <key>" over every subject and the gain/loss diff of a one-line change.
// Run: node --import tsx bench/permissions.ts [--users 100] [--apps 1000] [--nodes 50] [--runs 10]
import os from 'node:os';
import { createRbac } from '../kernel/lib/rbac/rbac.js';
import { diffPolicies, keyAreas, previewSubject, subjectIds, subjectsOf, whoCan } from '../kernel/lib/rbac/inspect.js';
import { withUserManaged } from '../kernel/lib/rbac/policy-lines.js';
import type { SubjectRef } from '../kernel/api/permissions.js';
import { numberArg } from './lib/args.js';

const USERS = numberArg('users', 100);
const APPS = numberArg('apps', 1000);
const NODES = numberArg('nodes', 50);
const RUNS = numberArg('runs', 10);

// The zone's keys as the scheduler, node-daemons, verify-hub and the app-manager leave them.
const keys: string[] = ['boot/config', 'system/rbac/policy', 'system/scheduler/snapshot', 'system/system_pkgs', 'services/gateway/settings', 'services/verify-hub/settings', 'security/verify-hub/key'];
const derived: string[] = ['# derived', 'g, u0, admin', 'g, su_u0, su_admin'];
for (let u = 0; u < USERS; u++) {
  keys.push(`users/u${u}/settings`, `users/u${u}/doc`, `security/verify-hub/passwords/u${u}`);
  if (u > 0) derived.push(`g, u${u}, users`, `g, su_u${u}, su_users`, `p, su_u${u}, obj://config/users/u${u}/doc, read|write,allow`);
}
for (let a = 0; a < APPS; a++) {
  const user = `u${a % USERS}`;
  keys.push(`users/${user}/apps/app${a}/spec`, `users/${user}/apps/app${a}/settings`, `users/${user}/apps/app${a}/install_record`, `services/app${a}@${user}/info`, `services/app${a}@${user}/instances/node${a % NODES}`);
  derived.push(`g, app${a}, app`);
}
for (let n = 0; n < NODES; n++) {
  keys.push(`devices/node${n}/doc`, `devices/node${n}/info`, `nodes/node${n}/config`, `nodes/node${n}/gateway_info`);
  derived.push(`g, node${n}, ${n === 0 ? 'ood' : 'node'}`);
}
for (let s = 0; s < 2000; s++) keys.push(`security/verify-hub/sessions/${s}`);
const policy = withUserManaged(derived.join('\n'), 'p, u7, obj://config/services/aicc/settings, read, allow');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Each run gets a new enforcer from `setup` (not timed), so no decision is cached: the cold cost. */
async function measure<T>(label: string, setup: () => Promise<T>, run: (x: T) => void) {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const x = await setup();
    const c = process.cpuUsage();
    const t = performance.now();
    run(x);
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  // CPU time is the steadier number on a shared machine (other processes stretch the wall time).
  console.log(`${label.padEnd(62)} wall median ${median(wall).toFixed(1)} / min ${Math.min(...wall).toFixed(1)} ms; CPU median ${median(cpu).toFixed(1)} ms`);
}

console.log(`${USERS} people × ${APPS} apps × ${NODES} devices: ${keys.length} keys; ${os.cpus().length} cores, node ${process.version}`);
const person: SubjectRef = { kind: 'person', user: 'u7' };
const ids = subjectIds(person);
const fresh = () => createRbac(policy);
console.log(`areas for ${person.user}: ${keyAreas(await fresh(), keys, ids).size}`);
await measure('preview of one person over every key', fresh, (rbac) => previewSubject(rbac, person, keys));
await measure('preview of one app over every key', fresh, (rbac) => previewSubject(rbac, { kind: 'app', app: 'app7', owner: 'u7' }, keys));
const subjects = subjectsOf(keys);
await measure(`who can write users/u7/apps/app7/settings (${subjects.length} subjects)`, fresh, (rbac) => whoCan(rbac, subjects, 'users/u7/apps/app7/settings', 'write'));
const changed = withUserManaged(derived.join('\n'), 'p, u7, obj://config/services/aicc/settings, read|write, allow');
await measure('diff of a one-line change (who gains and loses what)', async () => [await fresh(), await createRbac(changed)] as const, ([a, b]) => diffPolicies(a, b, subjects, keys));
