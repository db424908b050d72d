// Typed client of the repo-server: the kRPC methods, the streaming upload and chunk downloads that
// resume with a Range request after a broken connection and always end with a verified sha256.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { KrpcError } from '../lib/errors.js';
import { bodyPieces, raceAbort } from '../lib/http-body.js';
import { ServiceClient, type TokenSource } from '../lib/krpc/client.js';
import type { RepoMethods } from '../api/repo.js';
import { sha256Hex } from '../pkg/canonical-json.js';
import { CHUNK_SIZE } from '../pkg/format.js';
import {
  BATCH_FRAME_HEADER, CHUNK_PATH, CHUNKS_PATH, MAX_BATCH_CHUNKS, REPO_PATH, UPLOAD_PATH,
  type GcResult, type ListEntry, type MetaInfo, type PrepareResult, type PublishResult, type RepoSource, type RepoStats,
  type ResolveResult, type SyncResult, type VersionInfo,
} from './wire.js';

export interface FetchChunkOptions {
  /** Bytes of this chunk already received (e.g. by a killed process); the download continues after them. */
  resumeFrom?: Uint8Array;
  /** Bytes of the chunk held so far (resumed bytes included), after every piece. */
  onBytes?: (received: number) => void;
  /**
   * Every piece as it arrives, with its offset in the chunk, so a caller can persist a partial download.
   * An offset below what was already given means the download restarted there (truncate first).
   */
  onData?: (piece: Buffer, offset: number) => void | Promise<void>;
  /** Connection attempts before giving up (default 6). */
  maxAttempts?: number;
  /** Per-attempt limit (default 60 s); a stalled attempt resumes in the next one. */
  attemptTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface FetchChunksOptions {
  /** Every piece as it arrives, with its offset in chunk `sha256`, so a caller can persist a partial download. */
  onData?: (sha256: string, piece: Buffer, offset: number) => void | Promise<void>;
  /** Each chunk once complete and verified, in the order asked. */
  onChunk: (sha256: string, chunk: Buffer) => void | Promise<void>;
  /** Limit for the whole request (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface UploadOptions {
  /** The pkg name inside the file: the server checks the publish permission on it before reading the body. */
  name: string;
  forceAuthorChange?: boolean;
  onProgress?: (sent: number, total: number) => void;
  /** How long to wait for the answer once the file is sent (the repo verifies it first; default 10 min). */
  timeoutMs?: number;
}

const LONG_CALL_MS = 10 * 60_000;
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/** `http://host:port`, `http://host:port/` and `http://host:port/kapi/repo` all name the same repo. */
export function repoBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KrpcError('INVALID_PARAMS', `${JSON.stringify(url)} is not a URL like http://127.0.0.1:3180`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new KrpcError('INVALID_PARAMS', `${url} must be an http:// or https:// URL`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '').replace(new RegExp(`${REPO_PATH}$`), '')}`;
}

function errorFromResponse(status: number, text: string, what: string): KrpcError {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return KrpcError.fromWire(body.error);
  } catch {
    // not one of our JSON errors: fall through
  }
  return new KrpcError(status === 404 ? 'NOT_FOUND' : 'UNAVAILABLE', `${what} answered HTTP ${status}`);
}

const networkError = (e: unknown, what: string) => {
  const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as NodeJS.ErrnoException).code;
  return new KrpcError('UNAVAILABLE', `cannot reach ${what}${cause ? ` (${cause})` : ''}`);
};

export class RepoClient {
  readonly base: string;
  private readonly krpc: ServiceClient<RepoMethods>;

  constructor(url: string, private readonly token?: TokenSource, opts: { timeoutMs?: number } = {}) {
    this.base = repoBaseUrl(url);
    this.krpc = new ServiceClient<RepoMethods>(`${this.base}${REPO_PATH}`, { token, timeoutMs: opts.timeoutMs });
  }

  list(): Promise<ListEntry[]> {
    return this.krpc.call('list', {});
  }

  versions(name: string): Promise<VersionInfo[]> {
    return this.krpc.call('versions', { name });
  }

  getMeta(id: string): Promise<MetaInfo> {
    return this.krpc.call('get_meta', { id });
  }

  /** The exact version an id means and its dependency closure; ready versions only unless asked. */
  resolve(id: string, opts: { includeUnready?: boolean } = {}): Promise<ResolveResult> {
    return this.krpc.call('resolve', { id, ...(opts.includeUnready ? { include_unready: true } : {}) });
  }

  prepareReady(id: string): Promise<PrepareResult> {
    return this.krpc.call('prepare_ready', { id }, { timeoutMs: LONG_CALL_MS });
  }

  setSources(sources: RepoSource[]): Promise<{ sources: number }> {
    return this.krpc.call('set_sources', { sources });
  }

  sync(): Promise<SyncResult> {
    return this.krpc.call('sync', {}, { timeoutMs: LONG_CALL_MS });
  }

  gc(keep: Record<string, string[]>): Promise<GcResult> {
    return this.krpc.call('gc', { keep }, { timeoutMs: LONG_CALL_MS });
  }

  stats(): Promise<RepoStats> {
    return this.krpc.call('stats', {});
  }

  private async bearer(): Promise<Record<string, string>> {
    const t = typeof this.token === 'function' ? await this.token() : this.token;
    return t ? { authorization: `Bearer ${t}` } : {};
  }

  chunkUrl(sha256: string): string {
    return `${this.base}${CHUNK_PATH}/${sha256}`;
  }

  /** Downloads chunk `sha256`, resuming with Range after broken connections; the result is verified. */
  async fetchChunk(sha256: string, opts: FetchChunkOptions = {}): Promise<Buffer> {
    const url = this.chunkUrl(sha256);
    const maxAttempts = opts.maxAttempts ?? 6;
    const resumed = opts.resumeFrom ? Buffer.from(opts.resumeFrom) : undefined;
    let parts: Buffer[] = resumed && resumed.length > 0 ? [resumed] : [];
    let have = resumed?.length ?? 0;
    let lastError: KrpcError | undefined;
    const restart = () => {
      parts = [];
      have = 0;
    };

    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1 && lastError) await sleep(Math.min(100 * 2 ** (attempt - 2), 2000), undefined, { signal: opts.signal }).catch(() => {});
      if (opts.signal?.aborted) throw new KrpcError('UNAVAILABLE', `download of chunk ${sha256} was cancelled`);
      const attemptMs = opts.attemptTimeoutMs ?? 60_000;
      const timeout = AbortSignal.timeout(attemptMs);
      const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
      const headers = { ...(await this.bearer()), ...(have > 0 ? { range: `bytes=${have}-` } : {}) };
      const what = `download of chunk ${sha256}`;
      let res: Response;
      try {
        res = await raceAbort(fetch(url, { headers, signal }), opts.signal, attemptMs, what);
      } catch (e) {
        if (opts.signal?.aborted) throw new KrpcError('UNAVAILABLE', `${what} was cancelled`);
        lastError = e instanceof KrpcError ? e : networkError(e, url);
        continue;
      }
      if (res.status === 416 && have > 0) {
        // What we hold is not a prefix the repo recognises (e.g. longer than the chunk): start over.
        await res.body?.cancel();
        restart();
        lastError = undefined;
        continue;
      }
      if (res.status !== 200 && res.status !== 206) {
        const err = errorFromResponse(res.status, await res.text().catch(() => ''), url);
        if (!RETRYABLE_STATUS.has(res.status)) throw err;
        lastError = err;
        continue;
      }
      if (res.status === 200) restart();
      else if (!new RegExp(`^bytes ${have}-`).test(res.headers.get('content-range') ?? '')) {
        await res.body?.cancel();
        restart();
        lastError = new KrpcError('UNAVAILABLE', `${url} answered a range request with the wrong range`);
        continue;
      }
      const pieces = bodyPieces(res, { signal: opts.signal, idleMs: attemptMs, what });
      let broke = false;
      try {
        for (;;) {
          let step: IteratorResult<Buffer>;
          try {
            step = await pieces.next();
          } catch {
            broke = true;
            break;
          }
          if (step.done) break;
          const buf = step.value;
          if (have + buf.length > CHUNK_SIZE) throw new KrpcError('INTEGRITY', `${this.base} sent more than ${CHUNK_SIZE} bytes for chunk ${sha256}; no chunk is that large`);
          // A failure to keep the piece (e.g. a full disk) is the caller's, not the network's: no retry.
          await opts.onData?.(buf, have);
          parts.push(buf);
          have += buf.length;
          opts.onBytes?.(have);
        }
      } finally {
        await pieces.return(undefined);
      }
      if (broke) {
        if (opts.signal?.aborted) throw new KrpcError('UNAVAILABLE', `${what} was cancelled`);
        lastError = new KrpcError('UNAVAILABLE', `${what} broke off after ${have} bytes`);
        continue;
      }
      const chunk = Buffer.concat(parts);
      if (sha256Hex(chunk) === sha256) return chunk;
      if (resumed && resumed.length > 0 && parts[0] === resumed) {
        // The bytes we resumed from were not a true prefix (a torn write): fetch the whole chunk once.
        restart();
        lastError = undefined;
        continue;
      }
      throw new KrpcError('INTEGRITY', `chunk ${sha256} from ${this.base} is damaged: its content does not match its hash`);
    }
    throw lastError ?? new KrpcError('UNAVAILABLE', `could not download chunk ${sha256} from ${this.base}`);
  }

  /**
   * Downloads up to MAX_BATCH_CHUNKS whole chunks in one request, verifying each before `onChunk`. One
   * attempt, no resume: a caller whose batch broke off fetches what is left with fetchChunk.
   */
  async fetchChunks(sha256s: readonly string[], opts: FetchChunksOptions): Promise<void> {
    if (sha256s.length > MAX_BATCH_CHUNKS) throw new KrpcError('INVALID_PARAMS', `at most ${MAX_BATCH_CHUNKS} chunks per batch (got ${sha256s.length})`);
    if (sha256s.length === 0) return;
    const url = `${this.base}${CHUNKS_PATH}`;
    const limitMs = opts.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(limitMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const what = `chunk batch download from ${this.base}`;
    let res: Response;
    try {
      const headers = { ...(await this.bearer()), 'content-type': 'application/json' };
      res = await raceAbort(fetch(url, { method: 'POST', headers, body: JSON.stringify({ chunks: sha256s }), signal }), opts.signal, limitMs, what);
    } catch (e) {
      throw e instanceof KrpcError ? e : networkError(e, url);
    }
    if (res.status !== 200) throw errorFromResponse(res.status, await res.text().catch(() => ''), url);

    let index = 0;
    let header = Buffer.alloc(0);
    let size = -1;
    let parts: Buffer[] = [];
    let have = 0;
    // What the caller's callbacks throw (a full disk, a wrong length) is theirs and passes unchanged;
    // only a failure to read the body is the network's.
    let callerFailed: { error: unknown } | undefined;
    const caller = async (work: () => void | Promise<void>) => {
      try {
        await work();
      } catch (e) {
        callerFailed = { error: e };
        throw e;
      }
    };
    const finish = async () => {
      const sha = sha256s[index];
      const chunk = Buffer.concat(parts, have);
      if (sha256Hex(chunk) !== sha) throw new KrpcError('INTEGRITY', `chunk ${sha} from ${this.base} is damaged: its content does not match its hash`);
      index++;
      size = -1;
      parts = [];
      have = 0;
      header = Buffer.alloc(0);
      await caller(() => opts.onChunk(sha, chunk));
    };
    try {
      for await (let buf of bodyPieces(res, { signal: opts.signal, idleMs: limitMs, what })) {
        while (buf.length > 0) {
          if (index >= sha256s.length) throw new KrpcError('INTEGRITY', `${this.base} sent more than the ${sha256s.length} chunks asked for`);
          if (size < 0) {
            const take = Math.min(BATCH_FRAME_HEADER - header.length, buf.length);
            header = Buffer.concat([header, buf.subarray(0, take)]);
            buf = buf.subarray(take);
            if (header.length < BATCH_FRAME_HEADER) break;
            size = header.readUInt32BE(0);
            if (size > CHUNK_SIZE) throw new KrpcError('INTEGRITY', `${this.base} announced ${size} bytes for chunk ${sha256s[index]}; no chunk is that large`);
            if (size === 0) await finish();
            continue;
          }
          const piece = buf.subarray(0, size - have);
          buf = buf.subarray(piece.length);
          await caller(() => opts.onData?.(sha256s[index], piece, have));
          parts.push(piece);
          have += piece.length;
          if (have === size) await finish();
        }
      }
    } catch (e) {
      if (callerFailed) throw callerFailed.error;
      if (e instanceof KrpcError && e.code === 'INTEGRITY') throw e;
      if (opts.signal?.aborted) throw new KrpcError('UNAVAILABLE', `${what} was cancelled`);
      throw new KrpcError('UNAVAILABLE', `${what} broke off after ${index} of ${sha256s.length} chunks`);
    }
    if (index < sha256s.length) throw new KrpcError('UNAVAILABLE', `${what} ended after ${index} of ${sha256s.length} chunks`);
  }

  /** Streams a .pkg file to the repo's upload route. */
  async upload(file: string, opts: UploadOptions): Promise<PublishResult> {
    const total = (await stat(file)).size;
    const query = new URLSearchParams({ name: opts.name, ...(opts.forceAuthorChange ? { force_author_change: 'true' } : {}) });
    const url = new URL(`${this.base}${UPLOAD_PATH}?${query}`);
    const headers = { ...(await this.bearer()), 'content-type': 'application/octet-stream', 'content-length': String(total) };
    const transport = url.protocol === 'https:' ? https : http;

    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const body = createReadStream(file);
      let answered = false;
      const req = transport.request(url, { method: 'PUT', headers, timeout: opts.timeoutMs ?? LONG_CALL_MS });
      req.on('response', (res) => {
        answered = true;
        // The repo may answer before it has the whole body (a refusal): stop sending.
        body.unpipe(req);
        body.destroy();
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          // A refusal answered before the whole body was sent: this connection has nothing more to carry.
          if (!req.writableFinished) req.destroy();
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') });
        });
        res.on('error', (e) => reject(networkError(e, url.origin)));
      });
      req.on('timeout', () => req.destroy(new KrpcError('TIMEOUT', `${url.origin} did not answer the upload in time`)));
      req.on('error', (e) => {
        if (answered) return;
        reject(e instanceof KrpcError ? e : networkError(e, url.origin));
      });
      let sent = 0;
      body.on('data', (d) => {
        sent += d.length;
        opts.onProgress?.(sent, total);
      });
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    });
    if (status === 200) {
      try {
        return (JSON.parse(text) as { result: PublishResult }).result;
      } catch {
        throw new KrpcError('UNAVAILABLE', `${url.origin} answered the upload with a body that is not JSON`);
      }
    }
    throw errorFromResponse(status, text, url.origin);
  }
}
