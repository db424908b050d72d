// Typed client of a device's activation server, for the owner's CLI and tests.
import { KrpcError } from '../lib/errors.js';
import { ServiceClient } from '../lib/krpc/client.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { ActivationMethods } from '../api/activation.js';
import { DEFAULT_PORTS } from '../lib/ports.js';
import type { DeviceMiniInfo } from '../lib/device-info.js';
import type {
  CommitActiveParams, CommitActiveResult, DeviceKeyPairResult, PrepareActiveDocumentsParams, PreparedActiveDocuments,
} from './schema.js';

/**
 * The device's base URL: "http://host:port" as given, or "host[:port]" without a scheme, which
 * means plain HTTP on the activation port (3182) unless a port is given.
 */
export function activationBaseUrl(device: string): string {
  const raw = device.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new KrpcError('INVALID_PARAMS', `"${device}" is not a device address; use e.g. 192.168.1.20 or http://192.168.1.20:3182`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new KrpcError('INVALID_PARAMS', `the device address must be http:// or https://, not ${url.protocol}`);
  if (withScheme !== raw && !url.port) url.port = String(DEFAULT_PORTS.activation);
  return `${url.protocol}//${url.host}`;
}

/**
 * What an already activated device says about itself at its gateway (the activation port closes once a
 * device is activated, so "cannot reach :3182" alone would wrongly suggest it is not running).
 */
export async function activatedDeviceAt(baseUrl: string): Promise<{ zone: string; node: string; role: string; gateway: string } | undefined> {
  const url = new URL(baseUrl);
  url.port = String(DEFAULT_PORTS.gateway);
  const gateway = url.origin;
  try {
    const res = await fetch(`${gateway}/health`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { ok?: unknown; zone?: unknown; node?: unknown; role?: unknown };
    if (!res.ok || body.ok !== true || typeof body.zone !== 'string') return undefined;
    return { zone: body.zone, node: String(body.node ?? ''), role: String(body.role ?? 'ood'), gateway };
  } catch {
    return undefined;
  }
}

export class ActivationClient {
  readonly baseUrl: string;
  private readonly krpc: ServiceClient<ActivationMethods>;

  constructor(device: string, opts: { timeoutMs?: number } = {}) {
    this.baseUrl = activationBaseUrl(device);
    this.krpc = new ServiceClient<ActivationMethods>(`${this.baseUrl}${KAPI_PATHS.activation}`, { timeoutMs: opts.timeoutMs });
  }

  async deviceInfo(): Promise<DeviceMiniInfo> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/device`, { signal: AbortSignal.timeout(10_000) });
    } catch {
      throw new KrpcError('UNAVAILABLE', `cannot reach the device at ${this.baseUrl}`);
    }
    if (!res.ok) throw new KrpcError('UNAVAILABLE', `${this.baseUrl}/device answered HTTP ${res.status}`);
    return (await res.json()) as DeviceMiniInfo;
  }

  generateDeviceKeyPair(): Promise<DeviceKeyPairResult> {
    return this.krpc.call('generate_device_key_pair', {});
  }

  prepareActiveDocuments(params: PrepareActiveDocumentsParams): Promise<PreparedActiveDocuments> {
    return this.krpc.call('prepare_active_documents', params);
  }

  commitActive(params: CommitActiveParams): Promise<CommitActiveResult> {
    return this.krpc.call('commit_active', params);
  }
}
