// Publishing a dropped package through the repo's own publish path (PUT /kapi/repo/upload, the route
// `buckyos pkg publish` uses) with the owner's session token, reporting the bytes sent as they go.
// XMLHttpRequest, because fetch() cannot report upload progress.
import type { PublishResult } from '../../../../kernel/api/repo';
import { kernelOrigin, PanelError, parseWireError } from '../../api/krpc';

export const UPLOAD_PATH = '/kapi/repo/upload';

export function uploadPkg(file: Blob, name: string, token: string | undefined, onProgress: (sent: number, total: number) => void): Promise<PublishResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `${kernelOrigin()}${UPLOAD_PATH}?${new URLSearchParams({ name })}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new PanelError('UNREACHABLE', 'the upload broke off: cannot reach the repo'));
    xhr.ontimeout = () => reject(new PanelError('TIMEOUT', 'the upload took too long'));
    xhr.onload = () => {
      let body: { result?: PublishResult; error?: unknown } | undefined;
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch { /* not JSON: judged by the status below */ }
      if (body?.error !== undefined) return reject(parseWireError(body.error));
      if (xhr.status === 200 && body?.result) return resolve(body.result);
      reject(new PanelError(xhr.status >= 500 ? 'UNAVAILABLE' : 'BAD_ANSWER', `the repo answered the upload with HTTP ${xhr.status}`));
    };
    xhr.send(file);
  });
}
