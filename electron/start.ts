// `npm start`: the desktop app where Electron can run; elsewhere (no Electron binary, no display) the
// same kernel process, supervised the same way, headless: it prints the address the kernel reports,
// tries to open it in the default browser, and says in one line why there is no window.
// Options: --data DIR (default: the shared data folder, kernel/lib/paths.ts), --host ADDR (default
// 127.0.0.1). BUCKYOS_HEADLESS=1 skips Electron, BUCKYOS_NO_BROWSER=1 skips opening a browser.
import { spawn, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from '../kernel/lib/paths.js';
import { launchFacts, launchPlan } from './launch.js';
import { forkKernel } from './node-child.js';
import { KernelSupervisor, type KernelState } from './supervisor.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { data: { type: 'string' }, host: { type: 'string' } }, strict: true });
const dataDir = resolve(values.data ?? defaultDataDir());
const say = (line: string) => process.stdout.write(`${line}\n`);

function build(): void {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** Opens `url` with the desktop's handler; resolves to why not, if it could not. */
function openInBrowser(url: string): Promise<string | undefined> {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ENOENT' ? `${cmd} is not installed` : e.message));
    child.once('exit', (code) => done(code === 0 ? undefined : `${cmd} exited with code ${code}`));
    child.unref();
  });
}

const plan = launchPlan(launchFacts(join(root, 'node_modules', 'electron')));
build();

if (plan.electron) {
  // The window, tray and supervision are the app's (main.ts); it finds the data folder the same way.
  const app = spawn(plan.binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, BUCKYOS_DATA: dataDir } });
  app.on('exit', (code) => process.exit(code ?? 0));
} else {
  say(`No desktop window: ${plan.why}. The zone runs headless; open it in your browser.`);
  say(`Data folder: ${dataDir} (kernel log: ${join(dataDir, 'logs', 'kernel.log')})`);
  let opened = false;
  const announced = new Set<string>();
  const announce = async (s: KernelState) => {
    if (s.kind === 'activating' && !announced.has('activating')) {
      announced.add('activating');
      say(`This device is not set up yet. Create your zone in the browser: ${s.addresses.wizardUrl}`);
      say(`  or from another terminal: npx buckyos activate --device ${s.addresses.wizardUrl.replace(/\/$/, '')} --zone NAME --owner NAME --password PW`);
    } else if (s.kind === 'running' && !announced.has(`running ${s.restarts}`)) {
      announced.add(`running ${s.restarts}`);
      say(`Control panel: ${s.addresses.panelUrl}`);
    } else if (s.kind === 'restarting') {
      say(`The kernel stopped (${s.lastExit}); restarting it in ${Math.ceil(s.inMs / 1000)} s.`);
      return;
    } else {
      return;
    }
    if (opened || process.env.BUCKYOS_NO_BROWSER === '1') return;
    opened = true;
    const url = s.addresses.wizardUrl && s.kind === 'activating' ? s.addresses.wizardUrl : s.addresses.panelUrl;
    const why = await openInBrowser(url);
    if (why) say(`Could not open a browser (${why}); open ${url} yourself.`);
  };
  const supervisor = new KernelSupervisor({
    spawn: () => forkKernel({ dataDir, host: values.host, staticDir: join(root, 'dist', 'renderer') }, { entry: join(root, 'dist', 'electron', 'kernel-process.mjs') }),
    onState: (s) => void announce(s),
  });
  supervisor.start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await supervisor.stop({ stopApps: false });
    say('The zone stopped, and its apps with it; `npm start` starts them again.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}
