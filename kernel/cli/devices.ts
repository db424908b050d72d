// `buckyos devices scan|list|join|remove|delegate|revoke-delegation`: the owner's devices, through the
// OOD's control panel (kernel/api/devices.ts). `join` is the approval path: no recovery words, the OOD
// signs under the owner's enrolment delegation, which `delegate` makes once with the words.
import { KrpcError } from '../lib/errors.js';
import { ServiceClient } from '../lib/krpc/client.js';
import { DEVICES_KAPI_PATH, delegationRequestProblem, parsePairingUrl, type DevicesMethods, type EnrolmentDelegation } from '../api/devices.js';
import { signDocument } from '../lib/identity/document-jwt.js';
import { deriveOwnerKeyMaterial } from '../lib/identity/mnemonic.js';
import { parse, zoneLogin, zoneOptions } from './args.js';
import { login } from './session.js';

export const devicesUsage = `usage: buckyos devices <verb> [--zone URL --user NAME --password PW]
  scan [--wait MS] [--json]                 find devices waiting to join on the LAN (UDP 2980)
  list [--json]                              the zone's devices: state, last seen, machine, what runs there
  join NAME --device URL --code CODE [--fingerprint FP]
  join NAME --device "buckyos://join?..."    approve a device (its pairing URL from the QR holds all three)
  remove NAME [--wipe]                       remove a device: its key is revoked, its apps move elsewhere
  delegate [--mnemonic "WORDS"]              once: let the OOD approve devices without the recovery words
  revoke-delegation                          end that delegation (approvals need the words again)
`;

const client = async (values: Record<string, unknown>) => {
  const session = await login(zoneLogin(values));
  return new ServiceClient<DevicesMethods>(`${session.zone}${DEVICES_KAPI_PATH}`, { token: session.sessionToken, timeoutMs: 30_000 });
};

const ago = (s: number) => (s === 0 ? 'never' : `${Math.max(0, Math.round(Date.now() / 1000 - s))} s ago`);
const gb = (n?: number) => (n === undefined ? '?' : `${(n / 2 ** 30).toFixed(1)} GB`);

export async function devicesCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') { process.stdout.write(devicesUsage); return; }
  const out = (s: string): void => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); };
  switch (verb) {
    case 'scan': {
      const { values } = parse(rest, { ...zoneOptions, wait: { type: 'string' }, json: { type: 'boolean' } });
      const wait = values.wait === undefined ? 2000 : Number(values.wait);
      if (!Number.isInteger(wait) || wait < 0 || wait > 10_000) throw new KrpcError('INVALID_PARAMS', '--wait takes milliseconds, 0 to 10000');
      const r = await (await client(values)).call('device.scan', { wait_ms: wait });
      if (values.json) return out(JSON.stringify(r, null, 2));
      if (r.devices.length === 0) return out('No device waiting to join answered. Is it on this LAN and started (buckyos node)?');
      for (const d of r.devices) out(`${d.name}\t${d.state}\t${d.device_type}\t${d.arch}\t${d.join_url}\tfingerprint ${d.fingerprint}`);
      return out('Approve one with: buckyos devices join <name> --device <url> --code <pairing code shown on the device>');
    }
    case 'list': {
      const { values } = parse(rest, { ...zoneOptions, json: { type: 'boolean' } });
      const r = await (await client(values)).call('device.list', {});
      if (values.json) return out(JSON.stringify(r, null, 2));
      for (const d of r.devices) {
        const apps = d.instances.filter((i) => i.kind === 'app').map((i) => i.spec_id).join(', ') || '-';
        out(`${d.name}\t${d.is_ood ? 'ood' : d.device_type}\t${d.state}\tlast seen ${ago(d.last_seen)}\t${d.arch ?? '?'}\t${d.cpu_num ?? '?'} cpu\t${gb(d.total_mem)}\tapps: ${apps}`);
      }
      return out(`Approval without the recovery words: ${r.delegation.state}${r.delegation.exp ? ` (until ${new Date(r.delegation.exp * 1000).toISOString().slice(0, 10)})` : ''}`);
    }
    case 'join': {
      const { values, positionals } = parse(rest, { ...zoneOptions, device: { type: 'string' }, code: { type: 'string' }, fingerprint: { type: 'string' } });
      const name = positionals[0];
      let device = values.device as string | undefined;
      let code = values.code as string | undefined;
      let fingerprint = values.fingerprint as string | undefined;
      if (device?.toLowerCase().startsWith('buckyos://')) {
        const p = parsePairingUrl(device);
        if (!p.ok) throw new KrpcError('INVALID_PARAMS', p.error.replace(/^INVALID_PARAMS: /, ''));
        ({ join_url: device } = p.info);
        code ??= p.info.pairing_code;
        fingerprint ??= p.info.fingerprint;
      }
      if (!name || !device || !code) throw new KrpcError('INVALID_PARAMS', `join needs NAME, --device and --code\n${devicesUsage}`);
      const r = await (await client(values)).call('device.approve', { name, device_url: device, pairing_code: code, ...(fingerprint && { fingerprint }) });
      return out(`Approved ${r.name} (${r.did}), key fingerprint ${r.fingerprint}. It starts as a node of the zone now.`);
    }
    case 'remove': {
      const { values, positionals } = parse(rest, { ...zoneOptions, wipe: { type: 'boolean' } });
      if (!positionals[0]) throw new KrpcError('INVALID_PARAMS', `remove needs the device NAME\n${devicesUsage}`);
      const r = await (await client(values)).call('device.remove', { name: positionals[0], wipe: values.wipe === true });
      return out(`Removed ${r.name}: its key is revoked (${r.revocation.slice(0, 16)}…), its apps move to other nodes; it returns to waiting-to-join ${values.wipe ? 'and wipes its data' : 'and keeps its data'} when it hears of it.`);
    }
    case 'delegate': {
      const { values } = parse(rest, { ...zoneOptions, mnemonic: { type: 'string' } });
      const mnemonic = (values.mnemonic as string | undefined) ?? process.env.BUCKYOS_MNEMONIC;
      if (!mnemonic) throw new KrpcError('INVALID_PARAMS', 'delegating needs the owner\'s recovery words once: --mnemonic "WORDS" or BUCKYOS_MNEMONIC');
      const c = await client(values);
      const status = await c.call('device.delegation', {});
      const owner = deriveOwnerKeyMaterial(mnemonic).ownerKey;
      checkRequest(status.request, status.delegate_key);
      const jwt = await signDocument(status.request, owner.privateKeyPem);
      const after = await c.call('device.delegate', { delegation_jwt: jwt });
      return out(`The OOD may now approve devices (nodes only) without the recovery words, until ${new Date((after.exp ?? 0) * 1000).toISOString().slice(0, 10)}.`);
    }
    case 'revoke-delegation': {
      const { values } = parse(rest, zoneOptions);
      await (await client(values)).call('device.revoke_delegation', {});
      return out('Delegation revoked: devices approved under it stop being trusted; approving needs the recovery words (buckyos enroll) or a new delegation.');
    }
    default:
      throw new KrpcError('INVALID_PARAMS', `unknown devices verb "${verb}"\n${devicesUsage}`);
  }
}

/** The owner signs only a narrow delegation: node types, the OOD's own key, at most a year. */
function checkRequest(r: EnrolmentDelegation, key: EnrolmentDelegation['delegate_key']): void {
  const problem = delegationRequestProblem(r, key.x);
  if (problem) throw new KrpcError('INTEGRITY', `the OOD asked for a delegation the owner should not sign (${problem}); nothing was signed`);
}
