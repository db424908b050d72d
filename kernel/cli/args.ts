// Tiny argv helpers shared by the CLI verbs (node:util parseArgs underneath).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KrpcError } from '../lib/errors.js';
import { normalizeZoneUrl } from '../lib/zone-url.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new KrpcError('INVALID_PARAMS', plainParseError(e as Error & { code?: string }));
  }
}

/** node:util's parser speaks of "'--diff <value>' argument missing"; say it as a person would. */
function plainParseError(e: Error & { code?: string }): string {
  const option = /'(-{1,2}[\w-]+)/.exec(e.message)?.[1];
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return / argument missing/.test(e.message) ? `${option} needs a value` : `${option} takes no value`;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  return e.message;
}

export const zoneOptions: Options = {
  zone: { type: 'string' },
  user: { type: 'string' },
  password: { type: 'string' },
};

export interface ZoneLogin {
  zone: string;
  user: string;
  password: string;
}

/** --zone/--user/--password, falling back to BUCKYOS_ZONE / BUCKYOS_USER / BUCKYOS_PASSWORD. */
export function zoneLogin(values: Record<string, unknown>): ZoneLogin {
  const zone = (values.zone as string | undefined) ?? process.env.BUCKYOS_ZONE;
  const user = (values.user as string | undefined) ?? process.env.BUCKYOS_USER;
  const password = (values.password as string | undefined) ?? process.env.BUCKYOS_PASSWORD;
  if (!zone) throw new KrpcError('INVALID_PARAMS', 'which zone? pass --zone http://<ood address>:3180 or set BUCKYOS_ZONE');
  if (!user || !password) throw new KrpcError('INVALID_PARAMS', 'log in with --user NAME --password PW (or BUCKYOS_USER / BUCKYOS_PASSWORD)');
  return { zone: normalizeZoneUrl(zone), user, password };
}
