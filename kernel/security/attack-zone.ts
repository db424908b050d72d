// A real zone to attack: an activated OOD and a second node really enrolled by the owner (its device
// key and owner-signed document made by `buckyos enroll`), both real processes on their own loopback
// addresses. The attacker holds what an enrolled node holds: its device key on disk. Only tests import this.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { login, type ZoneSession } from '../cli/session.js';
import { isKrpcError, type ErrorCode } from '../lib/errors.js';
import { nowSeconds, signJwt, type Claims } from '../lib/identity/jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { KrpcClient } from '../lib/krpc/client.js';
import { dataPaths } from '../lib/paths.js';
import { activatedOod, cli, pollUntil, randomLoopback, repoRoot, spawnNode, tempDir, waitForPort, type NodeProcess } from '../testing/harness.js';
import { KAPI_PATHS, kapiPath } from '../api/krpc.js';

export const ADMIN = 'alice';
export const NODE = 'nas1';
export const OOD = 'ood1';
const TUNING = { BUCKYOS_REPORT_INTERVAL_MS: '1000' };

export interface AttackZone {
  ood: NodeProcess;
  node: NodeProcess;
  zoneUrl: string;
  mnemonic: string;
  /** alice's password */
  password: string;
  /** alice's password session (buckycli) */
  admin: ZoneSession;
  /** a kRPC client of the OOD's gateway carrying `token` */
  as(service: 'system_config' | 'verify_hub', token?: string): KrpcClient;
  /** the owner speaking as root (owner key from the recovery words), for set-up and for reading security/ */
  root: KrpcClient;
  /** a token signed with the enrolled node's own device key: what a compromised node can make */
  signAsNode(claims: Claims): Promise<string>;
  get(key: string): Promise<string | undefined>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startAttackZone(opts: { oodEnv?: Record<string, string> } = {}): Promise<AttackZone> {
  const fixtures = join(repoRoot, 'kernel/node-daemon/fixtures');
  const { ood, env, mnemonic, dir } = await activatedOod({ args: ['--pkgs', fixtures], env: { ...TUNING, ...opts.oodEnv } });
  const nodeDir = await tempDir('buckyos-attack-node-');
  const zoneUrl = env.BUCKYOS_ZONE;
  const enrolled = await cli(['enroll', '--zone', zoneUrl, '--name', NODE, '--device-data', nodeDir.path, '--mnemonic', mnemonic]);
  if (enrolled.code !== 0) throw new Error(`enrolment failed: ${enrolled.stderr}`);
  const nodeHost = randomLoopback();
  const node = spawnNode(nodeDir.path, nodeHost, ['--pkgs', fixtures], TUNING);
  await waitForPort(nodeHost, 3180);
  const nodeKeyPem = await readFile(dataPaths(nodeDir.path).deviceKey, 'utf8');

  const ownerKey = deriveOwnerKeyMaterial(mnemonic).ownerKey;
  const rootToken = () => {
    const now = nowSeconds();
    return signJwt({ iss: 'root', sub: 'root', appid: 'buckycli', jti: randomBytes(8).toString('hex'), iat: now, exp: now + 100 }, ownerKey.privateKeyPem, 'root');
  };
  const as = (service: string, token?: string) => new KrpcClient(`${zoneUrl}${kapiPath(service)}`, token ? { token } : {});
  const root = new KrpcClient(`${zoneUrl}${KAPI_PATHS.systemConfig}`, { token: rootToken });
  const logs = () => `--- OOD ---\n${ood.log().slice(-2500)}\n--- ${NODE} ---\n${node.log().slice(-2500)}`;
  const admin = await pollUntil('alice logs in', () => login({ zone: zoneUrl, user: ADMIN, password: env.BUCKYOS_PASSWORD }), { timeoutMs: 20_000, context: logs });
  return {
    ood, node, zoneUrl, mnemonic, admin, as, root, logs, password: env.BUCKYOS_PASSWORD,
    signAsNode: (claims) => {
      const now = nowSeconds();
      return signJwt({ iss: NODE, jti: randomBytes(8).toString('hex'), iat: now, exp: now + 600, ...claims }, nodeKeyPem, NODE);
    },
    get: async (key) => (await root.call<{ value: string } | null>('sys_config_get', { key }))?.value,
    async stop() {
      await node.kill('SIGTERM');
      await ood.kill('SIGTERM');
      await Promise.all([dir.remove(), nodeDir.remove()]);
    },
  };
}

/** An app spec of the echo-app fixture for `user`, pinned to `node`. */
export const echoAppSpec = (id: string, user: string, appIndex: number, node: string) => JSON.stringify({
  installation_id: id, user_id: user, app_class: 'UserInstalled', app_index: appIndex,
  app_doc: { name: id, version: '1.0.0', pkg_list: { script: { pkg_id: 'echo-app#^1.0.0' } } },
  enable: true, expected_instance_count: 1, state: 'new', node_affinity: node,
  spec_config: { service_config: { www: { protocol: 'http', inner_port: 8080 } } },
});

/** Expects `attempt` to fail with a structured `code` error (never a stack trace) and returns the message. */
export async function refusedWith(code: ErrorCode, what: string, attempt: () => Promise<unknown>): Promise<string> {
  let error: unknown;
  try {
    await attempt();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: expected ${code}, but it succeeded`);
  assert.ok(isKrpcError(error, code), `${what}: expected ${code}, got ${(error as Error)?.message}`);
  const message = (error).message;
  assert.ok(!/\n\s+at .*:\d+/.test(message), `${what}: no stack trace`);
  return message;
}
