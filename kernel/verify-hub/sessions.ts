// Session state in system-config (security/verify-hub/sessions/<session>): which refresh token is the
// live one. Rotation is a compare-and-set on the record's revision, so of two refreshes racing with
// the same token exactly one wins; a refresh token that is not the live one revokes the session.
import { createHash } from 'node:crypto';
import { KrpcError, isKrpcError } from '../lib/errors.js';
import { REPLAY_PREFIX, revokedSessionKey, sessionKey, type KvTxAction, type VerifyHubKv } from './kv.js';
import { PRINCIPAL_KINDS, SESSION_TOKEN_TTL_S, type PrincipalKind, type SessionSubject } from './tokens.js';

export interface SessionRecord {
  sub: string;
  appid: string;
  kind: PrincipalKind;
  app_instance_id?: string;
  /** jti of the only refresh token that may be used next. */
  refresh_jti: string;
  /** Unix seconds: when the live refresh token expires (the record may be swept after). */
  exp: number;
  revoked: boolean;
  created_at: number;
}

/** The value of a revocation list entry: Unix seconds after which it may be swept. */
export interface RevokedSession {
  exp: number;
}

/** Clock skew between nodes and the verifiers' leeway on `exp`, with room to spare. */
const REVOCATION_MARGIN_S = 60;

/** The sweep time of a revocation list entry, or NaN when it is not one. */
export function revokedSessionExpiry(text: string): number {
  try {
    const v = JSON.parse(text) as RevokedSession;
    return typeof v === 'object' && v !== null && Number.isSafeInteger(v.exp) ? v.exp : NaN;
  } catch {
    return NaN;
  }
}

/** A single-use marker created together with the session; if it already exists the login is a replay. */
export interface ReplayMarker {
  key: string;
  /** Shown to the client when the marker exists. */
  message: string;
}

export function replayMarker(parts: string[], expiresAt: number, message: string): ReplayMarker {
  const digest = createHash('sha256').update(parts.join('\n'), 'utf8').digest('hex');
  return { key: `${REPLAY_PREFIX}/${expiresAt}-${digest}`, message };
}

/** Unix seconds encoded in a replay marker's name, or NaN. */
export const replayMarkerExpiry = (name: string) => (/^(\d{1,12})-[0-9a-f]{64}$/.test(name) ? Number(name.split('-')[0]) : NaN);

export function parseSessionRecord(text: string): SessionRecord | undefined {
  try {
    const r = JSON.parse(text) as SessionRecord;
    const ok =
      typeof r === 'object' && r !== null &&
      typeof r.sub === 'string' && typeof r.appid === 'string' && PRINCIPAL_KINDS.includes(r.kind) &&
      typeof r.refresh_jti === 'string' && typeof r.exp === 'number' && typeof r.revoked === 'boolean';
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}

export const subjectOf = (session: number, r: SessionRecord): SessionSubject => ({
  sub: r.sub,
  appid: r.appid,
  kind: r.kind,
  session,
  appInstanceId: r.app_instance_id,
});

export class SessionStore {
  constructor(private readonly kv: VerifyHubKv) {}

  /** Records a new session; with a replay marker, both are created in one transaction or neither. */
  async open(subject: SessionSubject, refreshJti: string, refreshExp: number, nowS: number, replay?: ReplayMarker): Promise<void> {
    const record: SessionRecord = {
      sub: subject.sub,
      appid: subject.appid,
      kind: subject.kind,
      ...(subject.appInstanceId ? { app_instance_id: subject.appInstanceId } : {}),
      refresh_jti: refreshJti,
      exp: refreshExp,
      revoked: false,
      created_at: nowS,
    };
    const actions: Record<string, KvTxAction> = { [sessionKey(subject.session)]: { action: 'create', value: JSON.stringify(record) } };
    if (replay) actions[replay.key] = { action: 'create', value: JSON.stringify({ exp: refreshExp }) };
    try {
      await this.kv.execTx(actions);
    } catch (e) {
      if (replay && isKrpcError(e, 'ALREADY_EXISTS')) throw new KrpcError('UNAUTHENTICATED', replay.message);
      throw e;
    }
  }

  async read(session: number): Promise<{ record: SessionRecord; version: number } | undefined> {
    const entry = await this.kv.get(sessionKey(session));
    const record = entry && parseSessionRecord(entry.value);
    return record ? { record, version: entry.version } : undefined;
  }

  /** Makes `refreshJti` the live refresh token if the record is still at `version`; false if it moved. */
  async rotate(session: number, version: number, record: SessionRecord, refreshJti: string, refreshExp: number): Promise<boolean> {
    const key = sessionKey(session);
    const next: SessionRecord = { ...record, refresh_jti: refreshJti, exp: refreshExp };
    try {
      await this.kv.execTx({ [key]: { action: 'update', value: JSON.stringify(next) } }, { key, revision: version });
      return true;
    } catch (e) {
      if (isKrpcError(e, 'VERSION_CONFLICT')) return false;
      throw e;
    }
  }

  /**
   * Marks the session revoked whatever happened to it meanwhile (kept until it expires, then swept)
   * and, in the same transaction, puts it on the revocation list every token verifier consults, for
   * as long as a session token minted before now could still be accepted.
   */
  async revoke(session: number, record: SessionRecord, nowS: number): Promise<void> {
    if (record.revoked) return;
    const entry: RevokedSession = { exp: nowS + SESSION_TOKEN_TTL_S + REVOCATION_MARGIN_S };
    await this.kv.execTx({
      [sessionKey(session)]: { action: 'update', value: JSON.stringify({ ...record, revoked: true }) },
      [revokedSessionKey(session)]: { action: 'update', value: JSON.stringify(entry) },
    });
  }
}
