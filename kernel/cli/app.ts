// `buckyos app install|upgrade|rollback|uninstall|list`: the app lifecycle through the zone's
// app-manager. Each change follows its task with a progress bar until it is done and exits non-zero
// with the reason when it failed (an upgrade that was rolled back by itself counts as failed).
import { setTimeout as sleep } from 'node:timers/promises';
import { isKrpcError, KrpcError } from '../lib/errors.js';
import { AppManagerClient, type AppListEntry, type StartedTask, type TaskView } from '../app-manager/client.js';
import { isInstallationId, type TaskKind } from '../api/app-manager.js';
import { parse, zoneLogin, zoneOptions, type Options } from './args.js';
import { formatBytes, progressBar } from './progress.js';
import { login } from './session.js';
import { KAPI_PATHS } from '../api/krpc.js';

const usage = `usage: buckyos app install NAME [--node NODE] [--version V] [--id ID]
       buckyos app upgrade NAME [--version V]
       buckyos app rollback NAME [--keep-data]
       buckyos app uninstall NAME
       buckyos app list [--json]
  (--zone URL --user NAME --password PW, or BUCKYOS_ZONE / BUCKYOS_USER / BUCKYOS_PASSWORD)`;

const POLL_MS = 300;

const followOptions: Options = { 'health-timeout': { type: 'string' }, 'no-wait': { type: 'boolean' } };

export async function appCommand(argv: string[]): Promise<void> {
  const [op, ...rest] = argv;
  switch (op) {
    case 'install': return change('install', rest, { node: { type: 'string' }, version: { type: 'string' }, id: { type: 'string' } }, (c, name, v, t) =>
      c.install({ name, ...str('version', v), ...str('node', v), ...(v.id !== undefined ? { installation_id: v.id as string } : {}), ...t }));
    case 'upgrade': return change('upgrade', rest, { version: { type: 'string' } }, (c, name, v, t) => c.upgrade({ ...which(name), ...str('version', v), ...t }));
    case 'rollback': return change('rollback', rest, { 'keep-data': { type: 'boolean' } }, (c, name, v, t) => c.rollback({ ...which(name), ...(v['keep-data'] ? { keep_data: true } : {}), ...t }));
    case 'uninstall': return change('uninstall', rest, {}, (c, name) => c.uninstall(which(name)));
    case 'list': return list(rest);
    default: throw new KrpcError('INVALID_PARAMS', usage);
  }
}

const str = (field: 'version' | 'node', v: Record<string, unknown>) => (typeof v[field] === 'string' ? { [field]: v[field] } : {});

/** NAME on the command line is the installation id, which is the pkg name for a first install. */
const which = (name: string) => (isInstallationId(name) ? { installation_id: name } : { name });

function healthTimeout(v: Record<string, unknown>): { health_timeout_s?: number } {
  const raw = v['health-timeout'];
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new KrpcError('INVALID_PARAMS', '--health-timeout takes whole seconds from 1 to 3600');
  return { health_timeout_s: n };
}

async function connect(values: Record<string, unknown>): Promise<AppManagerClient> {
  const session = await login(zoneLogin(values));
  return new AppManagerClient(`${session.zone}${KAPI_PATHS.appManager}`, session.sessionToken);
}

async function change(
  kind: TaskKind,
  argv: string[],
  options: Options,
  start: (c: AppManagerClient, name: string, values: Record<string, unknown>, timeout: { health_timeout_s?: number }) => Promise<StartedTask>,
): Promise<void> {
  const { values, positionals } = parse(argv, { ...zoneOptions, ...followOptions, ...options });
  const [name, extra] = positionals;
  if (!name || extra !== undefined) throw new KrpcError('INVALID_PARAMS', usage);
  const client = await connect(values);
  const started = await start(client, name, values, healthTimeout(values));
  if (started.note) process.stderr.write(`note: ${started.note}\n`);
  if (values['no-wait']) {
    process.stdout.write(`${started.installation_id} task ${started.task_id} started\n`);
    return;
  }
  const view = await followUntilInterrupted(client, started, kind);
  report(view, await client.list().catch(() => [] as AppListEntry[]));
}

/**
 * Follows the task; Ctrl-C stops only the following (exit 130), and says so: the task itself runs in
 * the zone, which is where it can be seen and, for an install or upgrade, undone.
 */
async function followUntilInterrupted(client: AppManagerClient, started: StartedTask, kind: TaskKind): Promise<TaskView> {
  const id = started.installation_id;
  const interrupted = () => {
    const undo = kind === 'install' ? `; \`buckyos app uninstall ${id}\` cancels it`
      : kind === 'upgrade' ? `; once it is done, \`buckyos app rollback ${id}\` goes back` : '';
    process.stderr.write(`\nstopped following; the ${kind} of ${id} continues in the zone. \`buckyos app list\` shows it${undo}.\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  try {
    return await follow(client, started);
  } finally {
    process.off('SIGINT', interrupted);
  }
}

/** A restarting OOD is not a failed task: keep asking for this long. */
const UNREACHABLE_GRACE_MS = 60_000;

async function follow(client: AppManagerClient, started: StartedTask): Promise<TaskView> {
  const bar = progressBar(started.installation_id);
  let unreachableSince: number | undefined;
  try {
    for (;;) {
      let view: TaskView;
      try {
        view = await client.task(started.task_id);
        unreachableSince = undefined;
      } catch (e) {
        if (!isKrpcError(e, 'UNAVAILABLE') && !isKrpcError(e, 'TIMEOUT')) throw e;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince > UNREACHABLE_GRACE_MS) throw e;
        bar.update({ phase: 'waiting for the zone to answer' });
        await sleep(1000);
        continue;
      }
      const phase = view.done ? 'done' : view.waiting_for ? `${view.phase}: ${view.waiting_for}` : view.phase;
      bar.update({ phase, bytes: view.bytes, total: view.total });
      if (view.done) return view;
      await sleep(POLL_MS);
    }
  } finally {
    bar.done();
  }
}

function report(view: TaskView, apps: AppListEntry[]): void {
  const app = apps.find((a) => a.installation_id === view.installation_id);
  const moved = view.total > 0 ? ` (${formatBytes(view.bytes)} of ${formatBytes(view.total)} transferred)` : '';
  if (view.outcome === 'succeeded') {
    if (view.kind === 'uninstall') process.stdout.write(`${view.installation_id} uninstalled\n`);
    else process.stdout.write(`${view.installation_id} ${app?.version ?? view.to} ${app?.state ?? view.state}${app?.node ? ` on ${app.node}` : ''}${view.kind === 'rollback' ? '' : moved}\n`);
    return;
  }
  if (view.outcome === 'rolled-back') {
    throw new KrpcError('FAILED_PRECONDITION', `the upgrade of ${view.installation_id} to ${view.to} failed (${view.reason ?? 'unknown reason'}); it was rolled back to ${view.from} and its data restored`);
  }
  throw new KrpcError('FAILED_PRECONDITION', `${view.kind} of ${view.installation_id} failed: ${view.error ?? 'unknown reason'}`);
}

function listLine(a: AppListEntry): string[] {
  let note = '';
  if (a.progress) {
    const p = a.progress;
    note = `${p.phase}${p.total > 0 && p.bytes > 0 ? ` ${formatBytes(p.bytes)} / ${formatBytes(p.total)}` : ''}${p.kind === 'upgrade' ? ` → ${p.to}` : ''}${p.waiting_for ? ` (${p.waiting_for})` : ''}`;
  } else if (a.state === 'rolled-back' && a.last_rollback) {
    note = `from ${a.last_rollback.from}: ${a.last_rollback.reason}`;
  }
  const name = a.name === a.installation_id ? a.name : `${a.installation_id} (${a.name})`;
  const state = a.state === 'failing' && a.restarts ? `failing (restarted ${a.restarts} time${a.restarts === 1 ? '' : 's'})` : a.state;
  return [name, a.version, a.node || '-', state, note];
}

async function list(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...zoneOptions, json: { type: 'boolean' } });
  if (positionals.length > 0) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos app list [--json]');
  const apps = await (await connect(values)).list();
  if (values.json) {
    process.stdout.write(`${JSON.stringify(apps, null, 2)}\n`);
    return;
  }
  if (apps.length === 0) {
    process.stderr.write('no apps installed; install one with `buckyos app install NAME`\n');
    return;
  }
  const rows = apps.map(listLine);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) process.stdout.write(`${r.slice(0, 4).map((c, i) => c.padEnd(widths[i])).join('  ')}${r[4] ? `  ${r[4]}` : ''}`.trimEnd() + '\n');
}
