// The first hour with the command line (issue 15): each place a newcomer tripped over, run as a user
// runs it (bin/buckyos.js against one real OOD, shared by the cases) and judged by the words printed
// and the exit code. The tests run in order: the first ones activate the OOD the others use.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  cli, pollUntil, portIsOpen, randomLoopback, spawnOod, tempDir, TEST_PASSWORD, waitForPort, type NodeProcess,
} from '../testing/harness.js';

const dir = await tempDir('buckyos-first-hour-');
const host = randomLoopback();
const ood = spawnOod(dir.path, host);
const others: NodeProcess[] = [];
after(async () => {
  for (const p of [ood, ...others]) await p.kill('SIGKILL');
  await dir.remove();
});
const env = { BUCKYOS_ZONE: `http://${host}:3180`, BUCKYOS_USER: 'alice', BUCKYOS_PASSWORD: TEST_PASSWORD };

/**
 * Every address the OOD printed must answer something a person can use: one offered to a browser
 * (control panel, "in a browser") a 2xx HTML page, any other a 2xx answer; an address inside a command
 * to type (`buckyos …`, `export …`) at least an open port. Placeholders (`<app>`) are not addresses.
 */
async function checkPrintedAddresses(printed: string): Promise<number> {
  let checked = 0;
  for (const line of printed.split('\n')) {
    for (const [url] of line.matchAll(/https?:\/\/[^\s;,)]+/g)) {
      if (url.includes('<')) continue;
      const u = new URL(url);
      checked++;
      if (/^\s*(buckyos|export) /.test(line)) {
        assert.ok(await portIsOpen(u.hostname, Number(u.port)), `printed command names ${url}, which is not open: ${line}`);
        continue;
      }
      const res = await fetch(url);
      const type = res.headers.get('content-type') ?? '';
      const body = await res.text();
      assert.ok(res.ok, `printed ${url} answers HTTP ${res.status} (${body.slice(0, 80)}): ${line}`);
      if (/control panel|browser/i.test(line)) assert.match(type, /^text\/html/, `printed ${url} as a page, but it answers ${type}: ${line}`);
    }
  }
  return checked;
}

test('item 1: an unactivated OOD tells how to activate it, and every address it prints answers', async () => {
  await waitForPort(host, 3182);
  const printed = await pollUntil('the not-activated message', async () => (/Data folder/.test(ood.stdout()) ? ood.stdout() : undefined), { timeoutMs: 30_000, context: ood.log });
  assert.match(printed, /not activated yet/);
  assert.match(printed, new RegExp(`buckyos activate --device http://${host.replace(/\./g, '\\.')}:3182 `));
  assert.ok(await checkPrintedAddresses(printed) >= 1);
});

test('item 1: once activated, the OOD prints only addresses that answer', async () => {
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'testzone', '--owner', 'alice', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 0, act.stderr);
  assert.match(act.stdout, /recovery words/);
  const printed = await pollUntil('the running message', async () => (/OOD running/.test(ood.stdout()) ? ood.stdout().slice(ood.stdout().indexOf('OOD running')) : undefined),
    { timeoutMs: 60_000, context: ood.log });
  await pollUntil('the full running message', async () => (/Data folder/.test(printed) ? true : undefined), { timeoutMs: 5_000 });
  assert.match(printed, /OOD running \(zone testzone, device ood1\)/);
  assert.match(printed, new RegExp(`BUCKYOS_ZONE=http://${host.replace(/\./g, '\\.')}:3180`));
  assert.ok(await checkPrintedAddresses(printed) >= 2);
  assert.doesNotMatch(printed, /Control panel and API/, 'the old promise of a panel that is not there');
});

test('item 4: activating an activated OOD again says what it already is', async () => {
  assert.equal(await portIsOpen(host, 3182), false);
  const again = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'other', '--owner', 'mallory', '--password', 'Mallory-pw-1']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ALREADY_ACTIVATED: this device is already activated as the OOD of testzone/);
  assert.doesNotMatch(again.stderr, /Start it with/);
  assert.equal(again.stdout, '', 'no recovery words for a refused activation');
});

test('item 5: a second OOD on the same host is refused before activation, naming who holds the port', async () => {
  const second = await tempDir('buckyos-first-hour-2-');
  after(second.remove);
  const ood2 = spawnOod(second.path, host);
  others.push(ood2);
  await waitForPort(host, 3182);
  const act = await cli(['activate', '--device', `http://${host}:3182`, '--zone', 'second', '--owner', 'carol', '--password', TEST_PASSWORD]);
  assert.equal(act.code, 1, act.stdout);
  assert.match(act.stderr, new RegExp(`FAILED_PRECONDITION: this device cannot become an OOD here: ${host.replace(/\./g, '\\.')}:3180 \\(gateway\\)[^;]* (is|are) in use by pid ${ood.child.pid} \\([^)]*buckyos\\.js ood`));
  assert.equal(act.stdout, '', 'no recovery words for a refused activation');
  assert.equal(existsSync(join(second.path, 'etc', 'node_identity.json')), false, 'the refused device got an identity');
  assert.equal(ood2.child.exitCode, null, 'the second OOD keeps waiting for an activation it can accept');
});
