// The `buckyos` command. Each verb lives in kernel/cli/<verb>.ts; errors print as one plain line.
import { describeError, KrpcError } from './lib/errors.js';

const usage = `usage: buckyos <command> [options]

  ood [--data DIR] [--host ADDR] [--log-format human|json]   run an OOD headless (activation on :3182 until activated)
  node [--data DIR] [--host ADDR] [--ood URL] [--log-format human|json]   run a headless node (waits on :3182 until enrolled)
  node reset [--data DIR] [--wipe] [--yes]   forget this node's zone (keeps data unless --wipe); asks first
  devices scan|list|join|remove|delegate   the zone's devices (buckyos devices --help)
  enroll --zone URL --name NAME (--device URL --code CODE | --device-data DIR) [--mnemonic "WORDS"]
  activate --device URL --zone NAME --owner NAME --password PW [--mnemonic "WORDS"]
  kv get|set|list|delete|watch KEY [VALUE]   (--zone URL --user NAME --password PW, or BUCKYOS_ZONE/USER/PASSWORD)
  snapshot [--diff [REV]] [--json]      what the scheduler decided and why (--diff: since REV or the previous one)
  pkg build DIR [--out FILE] [--release V] | pkg publish FILE --zone URL | pkg gc
  app install|upgrade|rollback|uninstall|list [NAME] [--node NODE] [--version V]
`;

const hints: Partial<Record<string, string>> = {
  UNAVAILABLE: 'Is the OOD running and the address right? Start it with `buckyos ood` (or `npm start`).',
  UNAUTHENTICATED: 'Check the user name and password.',
  TOKEN_EXPIRED: 'Your session expired; run the command again to log in.',
  PERMISSION_DENIED: 'Your account is not allowed to do this. Which keys each role may read and write: docs/kv-keys.md (the zone owner can grant more).',
  RATE_LIMITED: 'Too many failed logins; wait a little and try again.',
  RESOURCE_EXHAUSTED: 'The disk holding the zone\'s data folder is full. Free some space there; nothing needs restarting.',
  ALREADY_ACTIVATED: 'This device already belongs to a zone. To start over, reset it on the device itself.',
};

/** Where the general hint would mislead: enrolling is done by the owner, with the recovery words. */
const verbHints: Partial<Record<string, Partial<Record<string, string>>>> = {
  enroll: { PERMISSION_DENIED: 'Use the 12 recovery words `buckyos activate` showed once when the zone was created (--mnemonic or BUCKYOS_MNEMONIC).' },
};

async function main(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'ood': return (await import('./cli/ood.js')).oodCommand(rest);
    case 'node': return (await import('./cli/node.js')).nodeCommand(rest);
    case 'devices': return (await import('./cli/devices.js')).devicesCommand(rest);
    case 'enroll': return (await import('./cli/enroll.js')).enrollCommand(rest);
    case 'activate': return (await import('./cli/activate.js')).activateCommand(rest);
    case 'kv': return (await import('./cli/kv.js')).kvCommand(rest);
    case 'snapshot': return (await import('./cli/snapshot.js')).snapshotCommand(rest);
    case 'pkg': return (await import('./cli/pkg.js')).pkgCommand(rest);
    case 'app': return (await import('./cli/app.js')).appCommand(rest);
    case undefined: case 'help': case '--help': case '-h':
      process.stdout.write(usage);
      return;
    default:
      throw new KrpcError('INVALID_PARAMS', `unknown command "${verb}"\n${usage}`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  const verb = process.argv[2] ?? '';
  const hint = e instanceof KrpcError ? (verbHints[verb]?.[e.code] ?? hints[e.code]) : undefined;
  process.stderr.write(`error: ${describeError(e)}\n${hint ? hint + '\n' : ''}`);
  process.exit(1);
});
