// The enrolment kRPC methods of an unjoined node (POST /kapi/join). No token: whoever reaches the
// device may try, as with activation; a commit is only accepted for documents the bundle's owner key
// signed over this device's own key. Calls run one at a time so two commits cannot both win.
import { machineFacts } from '../lib/device-info.js';
import { alreadyActivated, readActivationState } from '../lib/identity/files.js';
import { KrpcError } from '../lib/errors.js';
import { oneAtATime } from '../lib/one-at-a-time.js';
import { krpcMethods, type KrpcMethods } from '../lib/krpc/server.js';
import type { JoinMethods } from '../api/join.js';
import type { Logger } from '../lib/log.js';
import type { DataPaths } from '../lib/paths.js';
import type { PairingCode } from './pairing.js';
import { ensureDeviceKey, keyFingerprint } from './device-key.js';
import { persistJoin, verifyJoinBundle } from './files.js';
import { commitJoinSchema, emptyParams, type CommitJoinResult, type JoinBundle, type JoinRequest } from './schema.js';

export interface JoinRuntime {
  paths: DataPaths;
  log: Logger;
  /** Unix seconds. */
  now: () => number;
  onJoined: () => void;
  /** The code the device shows; checked when a commit brings one, required for a delegated approval. */
  pairing?: PairingCode;
}

export async function joinRequestOf(paths: DataPaths, now: number): Promise<JoinRequest> {
  const key = await ensureDeviceKey(paths);
  const facts = machineFacts(now);
  return { device_public_key: key, join_code: keyFingerprint(key), hostname: facts.sys_hostname ?? '', arch: facts.arch, os: facts.os };
}

/** Verifies `bundle` against this device's key and writes the identity files (device side of enrolment). */
export async function acceptJoinBundle(paths: DataPaths, bundle: JoinBundle, now: number, pairing?: PairingCode): Promise<CommitJoinResult> {
  const state = await readActivationState(paths);
  if (state === 'actived') throw alreadyActivated();
  if (state === 'error') throw new KrpcError('FAILED_PRECONDITION', 'etc/node_identity.json exists but cannot be read; reset this device before enrolling it');
  if (pairing && bundle.pairing_code !== undefined) pairing.check(bundle.pairing_code);
  const { approvedBy } = await verifyJoinBundle(bundle, await ensureDeviceKey(paths), now);
  // Approved without the owner key (issue 11): only someone who read the code off this device may.
  if (approvedBy === 'delegation' && (!pairing || bundle.pairing_code === undefined)) {
    if (pairing) pairing.check(undefined);
    throw new KrpcError('PERMISSION_DENIED', 'this approval needs the pairing code shown on the device; nothing was written');
  }
  await persistJoin(paths, bundle, now);
  return { status: 'joined', device_name: bundle.node_identity.device_name };
}

export function createJoinMethods(rt: JoinRuntime): KrpcMethods {
  const serialized = oneAtATime();
  return krpcMethods<JoinMethods>()({
    get_join_request: {
      params: emptyParams,
      handler: () => serialized(async () => {
        if ((await readActivationState(rt.paths)) === 'actived') throw alreadyActivated();
        return joinRequestOf(rt.paths, rt.now());
      }),
    },
    commit_join: {
      params: commitJoinSchema,
      handler: (bundle) => serialized(async () => {
        const result = await acceptJoinBundle(rt.paths, bundle, rt.now(), rt.pairing);
        rt.log.info('joined the zone', { zone: bundle.node_identity.zone_did, device: result.device_name, ood: bundle.ood_url });
        rt.onJoined();
        return result;
      }),
    },
  });
}
