// Whether a browser's session cookie is a live session for an app (private apps on the zone gateway).
// BuckyOS checks the cookie's JWT against gateway_info's trust keys; we ask verify-hub's `verify_token`
// (signature, expiry, app id AND whether the session was ended), and remember a yes for a short while
// so a page's many requests cost one check.
import http from 'node:http';
import type { UpstreamPools } from './proxy.js';
import type { TargetSet } from './routes.js';
import { KAPI_PATHS } from '../api/krpc.js';

/** BuckyOS's cookie name for an app page's session token. */
export const SESSION_COOKIE = 'buckyos_session_token';
const REMEMBER_MS = 15_000;
const MAX_REMEMBERED = 10_000;

export class SessionChecker {
  private readonly valid = new Map<string, number>();
  constructor(private readonly verifyHub: () => TargetSet | undefined, private readonly pools: UpstreamPools) {}

  async check(token: string, appId: string): Promise<boolean> {
    if (token.length > 8192 || !/^[A-Za-z0-9_.-]+$/.test(token)) return false;
    const key = `${appId} ${token}`;
    const until = this.valid.get(key);
    if (until !== undefined && until > Date.now()) return true;
    this.valid.delete(key);
    const ok = await this.ask(token, appId);
    if (ok) {
      if (this.valid.size >= MAX_REMEMBERED) this.valid.clear();
      this.valid.set(key, Date.now() + REMEMBER_MS);
    }
    return ok;
  }

  private ask(token: string, appId: string): Promise<boolean> {
    const set = this.verifyHub();
    const target = set?.primary[0]?.target ?? set?.backup[0]?.target;
    if (!target) return Promise.reject(new Error('verify-hub has no route'));
    const body = JSON.stringify({ method: 'verify_token', params: { session_token: token, appid: appId }, sys: [1] });
    return new Promise((resolve, reject) => {
      const req = http.request({
        method: 'POST', path: KAPI_PATHS.verifyHub, agent: this.pools.agentFor(target), setHost: false,
        headers: { host: `${target.host}:${target.port}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { if (text.length < 65_536) text += c; });
        res.on('end', () => {
          try {
            const parsed = JSON.parse(text) as { result?: unknown; error?: string };
            if (parsed.result === true) return resolve(true);
            if (typeof parsed.error === 'string' && /^(UNAUTHENTICATED|TOKEN_EXPIRED|PERMISSION_DENIED|INVALID_PARAMS)\b/.test(parsed.error)) return resolve(false);
            reject(new Error(parsed.error ?? `verify-hub answered ${res.statusCode}`));
          } catch {
            reject(new Error(`verify-hub answered ${res.statusCode}`));
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error('verify-hub did not answer')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
