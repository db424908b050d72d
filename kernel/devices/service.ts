// The OOD's devices service (issue 11): the LAN finder on UDP 2980, the enrolment delegate and the
// device.* methods, which the control panel serves at /kapi/control-panel (ood.ts wires them in).
import { NODE_FINDER_PORT } from '../api/devices.js';
import { permissionDenied, unauthenticated } from '../lib/errors.js';
import { parseOodString } from '../lib/identity/ood-string.js';
import type { KrpcMethods } from '../lib/krpc/server.js';
import type { Logger } from '../lib/log.js';
import { localAddressFor, NodeFinder } from '../lib/node-finder.js';
import type { DataPaths } from '../lib/paths.js';
import type { NodeIdentity } from '../node-identity.js';
import type { RepoClient } from '../repo-server/client.js';
import type { SystemConfigClient } from '../system-config/client.js';
import { EnrolmentDelegate } from './delegation.js';
import { startOodBeacon } from '../lib/ood-announcement.js';
import { devicesMethods } from './methods.js';

export interface OodDiscoveryOptions {
  /** UDP port (default 2980). */
  port?: number;
  /** Also probe these addresses by unicast. */
  targets?: string[];
  /** How often the OOD re-announces itself to its zone's nodes (ms; default 30 s). */
  announceEveryMs?: number;
}

export interface OodDevicesOptions<P> {
  id: NodeIdentity;
  paths: DataPaths;
  /** The address the OOD's gateway binds, and its port. */
  host: string;
  gatewayPort: number;
  kv: SystemConfigClient;
  repo: RepoClient;
  authenticate(token: string): Promise<P>;
  enforce(principal: P, resource: string, action: string): Promise<boolean>;
  log: Logger;
  /** LAN discovery; off when false, and by default on a loopback address without targets. */
  discovery?: OodDiscoveryOptions | false;
  /** The OOD's enrolment key holder (openEnrolmentDelegate). */
  delegate: EnrolmentDelegate;
}

/** Loads (on first boot: makes) the OOD's enrolment key. */
export function openEnrolmentDelegate(id: NodeIdentity, paths: DataPaths): Promise<EnrolmentDelegate> {
  return EnrolmentDelegate.open(paths, { zoneDid: id.zoneDid, ownerDid: id.ownerDid, ownerPublicJwk: id.ownerPublicJwk, holder: id.deviceName });
}

export async function startOodDevices<P>(o: OodDevicesOptions<P>): Promise<{ methods: KrpcMethods; stop(): Promise<void> }> {
  const log = o.log.child('devices');
  const discovery = o.discovery === false ? undefined : o.discovery ?? {};
  const finder = discovery && (!/^127\./.test(o.host) || discovery.targets)
    ? await NodeFinder.start({ port: discovery.port ?? NODE_FINDER_PORT, targets: discovery.targets, log })
    : undefined;
  // Issue 14: the OOD says where its gateway is, signed with its device key, so joined nodes find it
  // again after its LAN address changes.
  const beacon = finder?.attach((socket, port) => startOodBeacon(socket, port, {
    signer: { zoneDid: o.id.zoneDid, deviceName: o.id.deviceName, privateKeyPem: o.id.devicePrivateKeyPem, deviceDocJwt: o.id.deviceDocJwt },
    host: o.host, gatewayPort: o.gatewayPort, log, everyMs: discovery?.announceEveryMs,
  }));
  const delegate = o.delegate;
  const wildcard = o.host === '0.0.0.0' || o.host === '::';
  const methods = devicesMethods({
    async authorize(token, resource, action) {
      if (!token) throw unauthenticated('sign in first: managing devices needs your session');
      const principal = await o.authenticate(token);
      if (!(await o.enforce(principal, resource, action))) throw permissionDenied('only the zone owner or an admin may manage devices');
    },
    kv: o.kv, repo: o.repo, finder, delegate, log,
    zone: {
      zoneDid: o.id.zoneDid, ownerDid: o.id.ownerDid, ownerPublicJwk: o.id.ownerPublicJwk, bootJwt: o.id.zoneBootJwt, documentJwt: o.id.zoneDocumentJwt,
      bootIat: typeof o.id.zoneBoot.iat === 'number' ? o.id.zoneBoot.iat : o.id.file.zone_iat,
      oods: ((o.id.zoneBoot.oods as string[] | undefined) ?? []).map((s) => parseOodString(s).name),
    },
    ood: { name: o.id.deviceName, privateKeyPem: o.id.devicePrivateKeyPem },
    oodUrlFor: (deviceHost) => `http://${wildcard ? localAddressFor(deviceHost) ?? '127.0.0.1' : o.host}:${o.gatewayPort}`,
  });
  return { methods, stop: async () => { beacon?.stop(); await finder?.stop(); } };
}
