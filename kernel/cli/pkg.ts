// `buckyos pkg build DIR [--out FILE] [--release V]` and `buckyos pkg publish FILE --zone URL`.
import { stat } from 'node:fs/promises';
import { KrpcError } from '../lib/errors.js';
import { buildPkg } from '../pkg/build.js';
import { publishPkg } from '../repo-server/publish.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { formatBytes, progressBar } from './progress.js';
import { login } from './session.js';
import { AppManagerClient } from '../app-manager/client.js';
import { KAPI_PATHS } from '../api/krpc.js';

const usage = 'usage: buckyos pkg build DIR [--out FILE] [--release V] | buckyos pkg publish FILE --zone URL [--user NAME --password PW] | buckyos pkg gc';

export async function pkgCommand(argv: string[]): Promise<void> {
  const [op, ...rest] = argv;
  switch (op) {
    case 'build': return build(rest);
    case 'publish': return publish(rest);
    case 'gc': return gc(rest);
    default: throw new KrpcError('INVALID_PARAMS', usage);
  }
}

async function build(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { out: { type: 'string' }, release: { type: 'string' } });
  const [dir, extra] = positionals;
  if (!dir || extra !== undefined) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos pkg build DIR [--out FILE] [--release V]');
  const bar = progressBar(dir);
  let result;
  try {
    result = await buildPkg(dir, {
      out: values.out as string | undefined,
      release: values.release as string | undefined,
      onProgress: (p) => bar.update({ phase: 'packing', bytes: p.done, total: p.total }),
    });
  } finally {
    bar.done();
  }
  const fileSize = (await stat(result.file)).size;
  process.stdout.write(
    `built ${result.meta.name} ${result.meta.version}: ${result.file}\n` +
    `  ${formatBytes(result.meta.size)} in ${result.meta.files.length} files, ${result.chunks} chunks, ${formatBytes(fileSize)} on disk\n` +
    `  meta ${result.metaId}\n`,
  );
}

async function publish(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...zoneOptions, 'force-author-change': { type: 'boolean' } });
  const [file, extra] = positionals;
  if (!file || extra !== undefined) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos pkg publish FILE --zone URL [--user NAME --password PW]');
  await stat(file).catch(() => {
    throw new KrpcError('NOT_FOUND', `${file} does not exist; build it first with \`buckyos pkg build DIR --out ${file}\``);
  });
  const session = await login(zoneLogin(values));
  const bar = progressBar(file);
  let result;
  try {
    result = await publishPkg({
      file,
      zone: session.zone,
      sessionToken: session.sessionToken,
      forceAuthorChange: values['force-author-change'] === true,
      onProgress: (p) => bar.update({ phase: p.phase === 'check' ? 'checking' : p.phase === 'upload' ? 'uploading' : 'importing', bytes: p.bytes, total: p.total }),
    });
  } finally {
    bar.done();
  }
  const what = result.already_published
    ? 'was already published; nothing changed'
    : `published: ${result.new_chunks} new chunks (${formatBytes(result.new_bytes)}), ${result.reused_chunks} already in the repo`;
  process.stdout.write(`${result.name} ${result.version} ${what}${result.ready ? '' : ' (not ready yet: some content is missing)'}\n  meta ${result.meta_id}\n`);
}

/** Frees the repo's space: keeps the current and previous version of every installed app (and each pkg's newest). */
async function gc(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, zoneOptions);
  if (positionals.length > 0) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos pkg gc [--zone URL --user NAME --password PW]');
  const session = await login(zoneLogin(values));
  const r = await new AppManagerClient(`${session.zone}${KAPI_PATHS.appManager}`, session.sessionToken).gcPackages();
  const kept = Object.entries(r.keep).map(([name, versions]) => `${name} ${versions.join(', ')}`);
  process.stdout.write(
    `freed ${formatBytes(r.freed_bytes)} (${r.removed_chunks} chunks); versions no longer ready: ${r.removed_versions.join(', ') || 'none'}\n` +
    `kept for installed apps: ${kept.join('; ') || 'none'} (and the newest version of every package)\n`,
  );
}
