// rtcp URLs as BuckyOS writes them (rtcp.md §1, protocol.rs parse_rtcp_stack_id):
//   rtcp://<device>[:stack port]/[<dest host>]:<dest port>
//   rtcp://<percent-encoded bootstrap URL>@<device>[:stack port]/...     (through a relay)
// The bootstrap URL of a relay is itself an rtcp stream URL, rtcp://<relay>/<target host>:<target stack port>.
import { RtcpError } from './errors.js';

export const DEFAULT_RTCP_PORT = 2980;

export interface RtcpUrl {
  /** Target device: a DID, a device hostname, or a zone device name. */
  device: string;
  stackPort: number;
  /** Decoded bootstrap URL when the tunnel is carried through a relay. */
  bootstrap?: string;
  /** Stream target inside the URL path, if any. */
  dest?: { host: string | null; port: number };
}

const bad = (msg: string) => new RtcpError('INVALID_DATA', msg);

function parsePort(s: string, what: string): number {
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw bad(`invalid ${what} "${s.slice(0, 16)}"`);
  return Number(s);
}

export function parseRtcpUrl(url: string): RtcpUrl {
  if (typeof url !== 'string' || !url.startsWith('rtcp://')) throw bad('an rtcp URL starts with rtcp://');
  const rest = url.slice('rtcp://'.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash + 1);

  let bootstrap: string | undefined;
  let remote = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const params = authority.slice(0, at);
    remote = authority.slice(at + 1);
    if (!params) throw bad('bootstrap URL prefix is empty');
    if (!remote) throw bad('remote device is empty');
    if (params.includes('@')) throw bad("bootstrap URL prefix contains an unencoded '@'");
    try {
      bootstrap = decodeURIComponent(params);
    } catch {
      throw bad('bootstrap URL prefix is not valid percent-encoding');
    }
    if (!bootstrap) throw bad('decoded bootstrap URL prefix is empty');
  }

  let device = remote;
  let stackPort = DEFAULT_RTCP_PORT;
  const colon = remote.lastIndexOf(':');
  if (colon > 0) {
    const port = remote.slice(colon + 1);
    if (/^\d+$/.test(port)) {
      device = remote.slice(0, colon);
      stackPort = parsePort(port, 'rtcp stack port');
    } else if (!remote.startsWith('did:')) throw bad(`invalid rtcp stack port "${port.slice(0, 16)}"`);
  }
  if (!device || /[/?#\s]/.test(device)) throw bad('rtcp URL has no valid device');

  let dest: RtcpUrl['dest'];
  const p = path.replace(/\/+$/, '');
  if (p) {
    const c = p.lastIndexOf(':');
    if (c < 0) throw bad(`rtcp stream target "${p.slice(0, 64)}" has no port`);
    const host = p.slice(0, c);
    dest = { host: host === '' ? null : host, port: parsePort(p.slice(c + 1), 'stream port') };
  }
  return { device, stackPort, ...(bootstrap !== undefined && { bootstrap }), ...(dest && { dest }) };
}

/** rtcp://<device>/:<port>, or with a stream host. */
export function streamUrl(device: string, port: number, host?: string | null, stackPort = DEFAULT_RTCP_PORT): string {
  const auth = stackPort === DEFAULT_RTCP_PORT ? device : `${device}:${stackPort}`;
  return `rtcp://${auth}/${host ?? ''}:${port}`;
}

/** rtcp://<percent-encoded rtcp://<relay>/<target>:<stack port>>@<target>/ */
export function relayTunnelUrl(relay: string, target: string, targetStackPort = DEFAULT_RTCP_PORT, relayStackPort = DEFAULT_RTCP_PORT): string {
  const bootstrap = streamUrl(relay, targetStackPort, target, relayStackPort);
  const auth = targetStackPort === DEFAULT_RTCP_PORT ? target : `${target}:${targetStackPort}`;
  return `rtcp://${encodeURIComponent(bootstrap).replace(/[!'()*.\-_~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}@${auth}/`;
}
