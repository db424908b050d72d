// Real kernel processes for the e2e: `buckyos ood` on a random loopback address with a temp data
// folder, as an owner would start it, and the helpers a journey needs around it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import type { Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';

const root = resolve(import.meta.dirname, '..');
const rand = () => 2 + Math.floor(Math.random() * 250);
export const randomLoopback = () => `127.${rand()}.${rand()}.${rand()}`;

export interface Ood {
  host: string;
  dataDir: string;
  /** A folder of the test's own (publisher key, packages), removed with the OOD. */
  scratchDir: string;
  log(): string;
  stop(): Promise<void>;
  start(): void;
  remove(): Promise<void>;
}

export async function startOod(): Promise<Ood> {
  const host = randomLoopback();
  const dataDir = await mkdtemp(join(tmpdir(), 'buckyos-e2e-'));
  const scratchDir = await mkdtemp(join(tmpdir(), 'buckyos-e2e-scratch-'));
  let child: ChildProcess | undefined;
  let output = '';
  const start = () => {
    child = spawn(process.execPath, [join(root, 'bin', 'buckyos.js'), 'ood', '--data', dataDir, '--host', host], {
      env: { ...process.env, BUCKYOS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
  };
  start();
  const stop = () => new Promise<void>((r) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
  });
  const remove = async () => {
    await stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(scratchDir, { recursive: true, force: true });
  };
  return { host, dataDir, scratchDir, log: () => output, stop, start, remove };
}

export async function waitForPort(host: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((r) => {
      const s = connect({ host, port }, () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${host}:${port} did not open`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `buckyos ARGS` as a user would; rejects with its output when it fails. */
export function buckyos(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'buckyos.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`buckyos ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

/** Builds releases of pkgs/notes (undefined: 1.0.0; "1.1.0"; the broken "1.2.0") and publishes them to the zone. */
export async function publishNotes(ood: Ood, user: string, password: string, releases: (string | undefined)[]): Promise<void> {
  const zoneUrl = `http://${ood.host}:3180`;
  const dir = await mkdtemp(join(tmpdir(), 'buckyos-e2e-pkgs-'));
  // One publisher key for every release: the repo pins a pkg name to its first author.
  const env = { BUCKYOS_PUBLISHER_KEY: join(ood.scratchDir, 'publisher_key.pem') };
  try {
    for (const release of releases) {
      const out = join(dir, `notes-${release ?? '1.0.0'}.pkg`);
      await buckyos(['pkg', 'build', join(root, 'pkgs', 'notes'), '--out', out, ...(release ? ['--release', release] : [])], env);
      await buckyos(['pkg', 'publish', out, '--zone', zoneUrl, '--user', user, '--password', password], env);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Saves e2e/artifacts/<name>.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(root, 'e2e', 'artifacts', `${name}.png`), fullPage: true });
}

/** axe: no serious or critical violation on the current screen. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  expect(bad, `accessibility on ${screen}`).toEqual([]);
}
