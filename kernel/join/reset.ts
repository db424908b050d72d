// Returning a node to "not joined" (issue 11): `buckyos node reset` on the device, or the node itself
// once its OOD proves the owner removed it. node_identity.json goes first (the commit point of a join,
// so a crash midway leaves an unjoined device), then the zone's documents and the device key (a new
// key means the old documents, revoked in the zone, can never fit this device again). Data is kept
// unless wiped (spec 40 §9 Mode2 / Mode1).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KrpcError } from '../lib/errors.js';
import { readJsonFile, type StartConfigFile } from '../lib/identity/files.js';
import type { DataPaths } from '../lib/paths.js';
import { joinedZonePath } from './files.js';

export async function resetNode(paths: DataPaths, opts: { wipe: boolean }): Promise<void> {
  let start: StartConfigFile | undefined;
  try { start = await readJsonFile<StartConfigFile>(paths.startConfig); } catch { start = undefined; }
  if (start) throw new KrpcError('FAILED_PRECONDITION', 'this device is an OOD (etc/start_config.json); resetting an OOD is not done with `buckyos node reset`');
  await rm(paths.nodeIdentity, { force: true });
  for (const f of [paths.deviceDocJwt, paths.deviceMiniDocJwt, paths.zoneBootJwt, paths.zoneDocJwt, joinedZonePath(paths), paths.deviceKey, join(paths.etc, 'gateway_secret')])
    await rm(f, { force: true });
  if (opts.wipe) for (const d of [paths.data, paths.cache, paths.pkgs, paths.run, paths.snapshots]) await rm(d, { recursive: true, force: true });
}
