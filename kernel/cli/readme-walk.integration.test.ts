// The README, walked from top to bottom on a fresh data folder: every command in its ```sh blocks is run
// as written, in order (start the OOD, activate, build/publish/install/upgrade/rollback, snapshot, kv,
// enroll a node), with only the machine-specific parts replaced: addresses become this test's loopback
// addresses, ~/.buckyos-node and the *.pkg files land in temp folders, the join code is the one the node
// printed. A command whose README comment says it "exits 1" must exit 1; every other must exit 0, and a
// comment naming an outcome (`notes 1.1.0 running`, `installs 1.1.0`) must be what it printed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cli, pollUntil, randomLoopback, repoRoot, spawnNode, spawnOod, stopWithApps, tempDir, waitForPort, type CliResult, type NodeProcess,
} from '../testing/harness.js';


const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
const oodData = await tempDir('buckyos-readme-ood-');
const nodeData = await tempDir('buckyos-readme-node-');
const work = await tempDir('buckyos-readme-work-');
const oodHost = randomLoopback();
const nodeHost = randomLoopback();
const started: NodeProcess[] = [];
after(async () => {
  // Node first, then the OOD.
  for (const p of [...started].reverse()) await stopWithApps(p);
  for (const d of [oodData, nodeData, work]) await d.remove();
});

interface Step { line: string; comment: string }

/** The README's shell commands in order: lines of ```sh blocks, `&&` chains split, output comments dropped. */
function readmeSteps(): Step[] {
  const steps: Step[] = [];
  for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1].split('\n')) {
      const m = /^(.*?)(?:\s+#\s*(.*))?$/.exec(raw.trim())!;
      if (!m[1] || m[1].startsWith('#')) continue;
      for (const part of m[1].split(' && ')) steps.push({ line: part.trim(), comment: m[2] ?? '' });
    }
  }
  return steps;
}

/** Shell words, with '…' quoting and $VAR expansion. */
function words(line: string, env: Record<string, string>): string[] {
  return [...line.matchAll(/(?:'[^']*'|[^\s'])+/g)].map(([w]) =>
    w.split(/('[^']*')/).map((part) => (part.startsWith("'") ? part.slice(1, -1) : part.replace(/\$([A-Z_]+)/g, (_, v: string) => env[v] ?? ''))).join(''));
}

const machine = (w: string, joinCode: string) => w
  .replace(/127\.0\.0\.1|192\.168\.1\.10/g, oodHost)
  .replace(/192\.168\.1\.30/g, nodeHost)
  .replace(/^~\/\.buckyos-node$/, nodeData.path)
  .replace(/^pkgs\//, `${join(repoRoot, 'pkgs')}/`)
  .replace(/^([\w.-]+\.pkg)$/, (f) => join(work.path, f))
  .replace(/^K7QF-2MZA-XB4D$/, joinCode);

test('the README, from `npm start` to enrolling a node, works as written on a fresh data folder', async () => {
  const steps = readmeSteps();
  assert.ok(steps.length >= 15, `the README's walk has ${steps.length} commands`);
  const env: Record<string, string> = { BUCKYOS_PUBLISHER_KEY: join(work.path, 'publisher_key.pem') };
  let joinCode = '';
  const ran: string[] = [];
  const context = () => `ran:\n${ran.join('\n')}\n--- OOD ---\n${started[0]?.log().slice(-3000)}`;

  for (const { line, comment } of steps) {
    const argv = words(line, env).map((w) => machine(w, joinCode));
    const [cmd, ...args] = argv;
    ran.push(`$ ${line}`);
    if (cmd === 'npm' && args[0] === 'install') continue; // done by the test run itself
    if (cmd === 'npm' && args[0] === 'test') continue; // this is that test run
    if (cmd === 'export') {
      for (const a of args) {
        const [k, ...v] = a.split('=');
        env[k] = machine(v.join('='), joinCode);
      }
      continue;
    }
    if (cmd === 'npm' && args[0] === 'start') {
      // `npm start` is `buckyos ood` on ~/.buckyos; here a fresh folder and this test's address.
      started.push(spawnOod(oodData.path, oodHost));
      await waitForPort(oodHost, 3182, 60_000);
      continue;
    }
    const verb = cmd === 'npx' ? args.slice(1) : args;
    assert.ok((cmd === 'npx' && args[0] === 'buckyos') || cmd === 'buckyos', `an unknown command in the README: ${line}`);
    if (verb[0] === 'node') {
      assert.deepEqual(verb.filter((w) => w.startsWith('--')), ['--data', '--host'], line);
      const node = spawnNode(verb[verb.indexOf('--data') + 1], verb[verb.indexOf('--host') + 1]);
      started.push(node);
      joinCode = await pollUntil('the node to print its join code', async () => /Join code: (\S+)/.exec(node.stdout())?.[1], { timeoutMs: 60_000, context: node.log });
      continue;
    }
    const r: CliResult = await cli(verb, env);
    ran.push(r.stdout.trimEnd(), r.stderr.trimEnd().split('\n').filter((l) => !/^\S+ {2}\S/.test(l)).join('\n'));
    const expected = /exits (\d+)/.exec(comment)?.[1];
    assert.equal(r.code, expected ? Number(expected) : 0, `\`${line}\` exited ${r.code}\n${context()}`);

    if (verb[0] === 'activate') {
      env.BUCKYOS_MNEMONIC = /\n\s{2}([a-z]+(?: [a-z]+){11})\n/.exec(r.stdout)?.[1] ?? '';
      assert.ok(env.BUCKYOS_MNEMONIC, 'activation printed the recovery words');
      await waitForPort(oodHost, 3180, 60_000);
    }
    const outcome = /^(\S+ \d+\.\d+\.\d+ running on \S+)/.exec(comment)?.[1];
    if (outcome) assert.match(r.stdout, new RegExp(`^${outcome.replace(/\./g, '\\.')}`, 'm'), `${line}: ${comment}`);
    const installs = /installs (\d+\.\d+\.\d+)/.exec(comment)?.[1];
    if (installs) assert.match(r.stdout, new RegExp(` ${installs.replace(/\./g, '\\.')} running`), `${line}: ${comment}`);
    const listed = /^(\S+) +(\d+\.\d+\.\d+) +(\S+) +(\S+)/.exec(verb[0] === 'app' && verb[1] === 'list' ? comment : '');
    if (listed) assert.match(r.stdout, new RegExp(`^${listed[1]} +${listed[2].replace(/\./g, '\\.')} +${listed[3]} +${listed[4]}`, 'm'), `${line}: ${comment}`);
  }

  // Where the README's steps leave the zone: the app answers, the node joined and reports in.
  const zone = `http://${oodHost}:3180`;
  const page = await fetch(`${zone}/apps/notes/`);
  assert.equal(page.status, 200);
  const devices = await pollUntil('nas1 to report in', async () => {
    const r = await cli(['kv', 'list', 'devices'], env);
    return r.stdout.includes('nas1') ? r.stdout : undefined;
  }, { timeoutMs: 60_000, context });
  assert.match(devices, /^ood1$/m);
  const snapshot = await pollUntil('nas1 in the snapshot', async () => {
    const r = await cli(['snapshot'], env);
    return /^ {2}nas1 \(\w+\) ready/m.test(r.stdout) ? r.stdout : undefined;
  }, { timeoutMs: 60_000, context });
  assert.match(snapshot, /notes@alice/);
});
