// `buckyos kv get|set|list|delete|watch KEY [VALUE]` against a zone, as a logged-in user.
import { KrpcError } from '../lib/errors.js';
import { SystemConfigClient } from '../system-config/client.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';
import { KAPI_PATHS } from '../api/krpc.js';

export async function kvCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...zoneOptions, json: { type: 'boolean' } });
  const [op, key, value] = positionals;
  if (!op || !['get', 'set', 'list', 'delete', 'watch'].includes(op))
    throw new KrpcError('INVALID_PARAMS', 'usage: buckyos kv get|set|list|delete|watch KEY [VALUE]');
  if (key === undefined) throw new KrpcError('INVALID_PARAMS', `usage: buckyos kv ${op} KEY${op === 'set' ? ' VALUE' : ''}`);
  const session = await login(zoneLogin(values));
  const kv = new SystemConfigClient(`${session.zone}${KAPI_PATHS.systemConfig}`, session.sessionToken);
  switch (op) {
    case 'get': {
      const r = await kv.get(key);
      if (!r) throw new KrpcError('NOT_FOUND', `no value at ${key}`);
      process.stdout.write(values.json ? JSON.stringify(r) + '\n' : r.value + '\n');
      return;
    }
    case 'set':
      if (value === undefined) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos kv set KEY VALUE');
      return kv.set(key, value);
    case 'delete':
      return kv.delete(key);
    case 'list':
      for (const name of await kv.list(key)) process.stdout.write(name + '\n');
      return;
    case 'watch':
      return watch(kv, key);
  }
}

/** Prints every change under `key` as a JSON line until interrupted. */
function watch(kv: SystemConfigClient, key: string): Promise<never> {
  let started = false;
  kv.watchLoop(key, (event) => {
    for (const change of event.changes) process.stdout.write(JSON.stringify(change) + '\n');
    if (event.resync) {
      process.stderr.write(started
        ? `lost track of changes (the zone restarted or compacted its history); re-read ${key} to catch up\n`
        : `watching ${key} from revision ${event.revision} (Ctrl-C to stop)\n`);
      started = true;
    }
  }, { onError: (e) => process.stderr.write(`watch failed, retrying: ${(e as Error).message}\n`) });
  return new Promise<never>(() => {});
}
