// Writing a node's identity at the end of activation (spec 40 §6.5, our layout in lib/paths.ts).
// Every file is written atomically; etc/node_identity.json goes last and is created exclusively, so it
// is the commit point: a crash before it leaves an unactivated device, and only one writer can win.
import { access, mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../lib/fs-atomic.js';
import type { NodeIdentityFile, StartConfigFile } from '../lib/identity/files.js';
import type { DataPaths } from '../lib/paths.js';
import { alreadyActivated, writeFileExclusive } from '../lib/identity/files.js';

export { alreadyActivated, readActivationState } from '../lib/identity/files.js';

export interface ActivationRecord {
  nodeIdentity: NodeIdentityFile;
  startConfig: StartConfigFile;
  deviceKeyPem: string;
  deviceDocJwt: string;
  deviceMiniDocJwt: string;
  zoneBootJwt: string;
  zoneDocJwt: string;
  /** The OOD's enrolment key and the owner's delegation over it, when the owner gave one (issue 11). */
  enrolment?: { keyPem: string; delegationJwt: string };
}

export async function persistActivation(paths: DataPaths, record: ActivationRecord): Promise<void> {
  await mkdir(paths.etc, { recursive: true, mode: 0o700 });
  if (await exists(paths.nodeIdentity)) throw alreadyActivated();
  await writeFileAtomic(paths.deviceKey, record.deviceKeyPem, 0o600);
  await writeFileAtomic(paths.deviceDocJwt, record.deviceDocJwt);
  await writeFileAtomic(paths.deviceMiniDocJwt, record.deviceMiniDocJwt);
  await writeFileAtomic(paths.zoneBootJwt, record.zoneBootJwt);
  await writeFileAtomic(paths.zoneDocJwt, record.zoneDocJwt);
  if (record.enrolment) {
    await writeFileAtomic(paths.enrolmentKey, record.enrolment.keyPem, 0o600);
    await writeFileAtomic(paths.enrolmentDelegation, record.enrolment.delegationJwt + '\n', 0o600);
  }
  await writeFileAtomic(paths.startConfig, JSON.stringify(record.startConfig, null, 2) + '\n', 0o600);
  await writeFileExclusive(paths.nodeIdentity, JSON.stringify(record.nodeIdentity, null, 2) + '\n');
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
