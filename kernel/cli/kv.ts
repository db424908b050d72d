// `buckyos kv get|set|list|delete|watch KEY [VALUE]` against a zone, as a logged-in user.
import { KrpcError } from '../lib/errors.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';

export async function kvCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...zoneOptions, json: { type: 'boolean' } });
  const [op, key, value] = positionals;
  if (!op || !['get', 'set', 'list', 'delete', 'watch'].includes(op))
    throw new KrpcError('INVALID_PARAMS', 'usage: buckyos kv get|set|list|delete|watch KEY [VALUE]');
  if (key === undefined) throw new KrpcError('INVALID_PARAMS', `usage: buckyos kv ${op} KEY${op === 'set' ? ' VALUE' : ''}`);
  const session = await login(zoneLogin(values));
  const kv = session.client('system_config');
  switch (op) {
    case 'get': {
      const r = await kv.call<{ value: string; version: number } | null>('sys_config_get', { key });
      if (!r) throw new KrpcError('NOT_FOUND', `no value at ${key}`);
      process.stdout.write(values.json ? JSON.stringify(r) + '\n' : r.value + '\n');
      return;
    }
    case 'set':
      if (value === undefined) throw new KrpcError('INVALID_PARAMS', 'usage: buckyos kv set KEY VALUE');
      await kv.call('sys_config_set', { key, value });
      return;
    case 'delete':
      await kv.call('sys_config_delete', { key });
      return;
    case 'list': {
      const names = await kv.call<string[]>('sys_config_list', { key });
      for (const n of names) process.stdout.write(n + '\n');
      return;
    }
    case 'watch': {
      let revision = 0;
      const first = await kv.call<{ revision: number }>('sys_config_watch', { key, revision: Number.MAX_SAFE_INTEGER, timeout_ms: 0 });
      revision = first.revision;
      process.stderr.write(`watching ${key} from revision ${revision} (Ctrl-C to stop)\n`);
      for (;;) {
        const r = await kv.call<{ revision: number; changes?: Array<{ key: string; value: string | null; version: number }>; compacted?: boolean }>(
          'sys_config_watch', { key, revision, timeout_ms: 25_000 });
        for (const c of r.changes ?? []) process.stdout.write(JSON.stringify(c) + '\n');
        revision = r.revision;
      }
    }
  }
}
