// `buckyos pkg publish FILE --zone URL`: check the pkg locally (the same checks the repo makes, so a bad
// file fails before a byte is sent), then stream it to <zone>/kapi/repo/upload with the session token.
import type { TokenSource } from '../lib/krpc/client.js';
import { readPkgFile } from '../pkg/reader.js';
import { RepoClient } from './client.js';
import type { PublishResult } from './wire.js';

export interface PublishProgress {
  phase: 'check' | 'upload' | 'import';
  bytes: number;
  total: number;
}

export interface PublishOptions {
  file: string;
  /** The zone's gateway (or the repo itself), e.g. http://127.0.0.1:3180. */
  zone: string;
  sessionToken: TokenSource;
  /** Accept that the pkg is now signed by another author than its earlier versions. */
  forceAuthorChange?: boolean;
  onProgress?: (p: PublishProgress) => void;
}

export async function publishPkg(opts: PublishOptions): Promise<PublishResult> {
  const client = new RepoClient(opts.zone, opts.sessionToken);
  opts.onProgress?.({ phase: 'check', bytes: 0, total: 0 });
  const pkg = await readPkgFile(opts.file);
  let total = 0;
  const result = await client.upload(opts.file, {
    name: pkg.meta.name,
    forceAuthorChange: opts.forceAuthorChange,
    onProgress: (sent, size) => {
      total = size;
      opts.onProgress?.({ phase: sent < size ? 'upload' : 'import', bytes: sent, total: size });
    },
  });
  opts.onProgress?.({ phase: 'import', bytes: total, total });
  return result;
}
