// The one spelling of a zone or OOD address the CLI, join and node accept: http(s)://host[:port].
import { KrpcError } from './errors.js';
import { DEFAULT_PORTS } from './ports.js';

/**
 * http(s)://host[:port] with nothing after it; a path would be silently ignored otherwise. Like a
 * device address at activation, "host[:port]" without a scheme means plain HTTP, on the gateway port
 * (3180) unless a port is given.
 */
export function normalizeZoneUrl(value: string, what = 'zone URL'): string {
  const raw = String(value).trim();
  const schemeless = !/^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(schemeless ? `http://${raw}` : raw);
  } catch {
    throw new KrpcError('INVALID_PARAMS', `the ${what} "${raw.slice(0, 80)}" is not a URL; use e.g. http://192.168.1.10:3180`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash)
    throw new KrpcError('INVALID_PARAMS', `the ${what} must be http(s)://host[:port] and nothing more, e.g. http://192.168.1.10:3180`);
  if (schemeless && !url.port) url.port = String(DEFAULT_PORTS.gateway);
  return `${url.protocol}//${url.host}`;
}
