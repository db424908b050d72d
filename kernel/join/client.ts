// Typed client of an unjoined node's enrolment server, for the owner's CLI and tests.
import { activationBaseUrl } from '../activation/client.js';
import { ServiceClient } from '../lib/krpc/client.js';
import { KAPI_PATHS } from '../api/krpc.js';
import type { JoinMethods } from '../api/join.js';
import type { CommitJoinResult, JoinBundle, JoinRequest } from './schema.js';

export class JoinClient {
  readonly baseUrl: string;
  private readonly krpc: ServiceClient<JoinMethods>;

  /** "192.168.1.30", "192.168.1.30:3182" or "http://192.168.1.30:3182". */
  constructor(device: string, opts: { timeoutMs?: number } = {}) {
    this.baseUrl = activationBaseUrl(device);
    this.krpc = new ServiceClient<JoinMethods>(`${this.baseUrl}${KAPI_PATHS.join}`, { timeoutMs: opts.timeoutMs });
  }

  joinRequest(): Promise<JoinRequest> {
    return this.krpc.call('get_join_request', {});
  }

  commitJoin(bundle: JoinBundle): Promise<CommitJoinResult> {
    return this.krpc.call('commit_join', bundle);
  }
}
