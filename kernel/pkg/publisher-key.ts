// The key a developer signs pkgs with: ~/.buckyos/publisher_key.pem (BUCKYOS_PUBLISHER_KEY overrides the
// path), created with mode 0600 on first use. It is the publisher's, never a zone or device key.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateEd25519, publicJwkFromPrivatePem } from '../lib/identity/keys.js';
import { invalidParams } from '../lib/errors.js';

export function defaultPublisherKeyPath(): string {
  return process.env.BUCKYOS_PUBLISHER_KEY || join(homedir(), '.buckyos', 'publisher_key.pem');
}

async function readKey(path: string): Promise<string> {
  const pem = await readFile(path, 'utf8');
  try {
    publicJwkFromPrivatePem(pem);
  } catch {
    throw invalidParams(`${path} is not an Ed25519 private key (PKCS#8 PEM); fix or remove it to have a new one created`);
  }
  return pem;
}

/** Reads the publisher key at `path`, creating it first if there is none. Safe when two builds race. */
export async function loadPublisherKey(path = defaultPublisherKeyPath()): Promise<string> {
  try {
    return await readKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKeyPem } = generateEd25519();
  // Write a complete temp file, then link it into place: link() fails if the key appeared meanwhile,
  // so a racing build never sees a half-written key and both end up with the same one.
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(privateKeyPem);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(tmp, path);
    return privateKeyPem;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readKey(path);
    throw e;
  } finally {
    await unlink(tmp);
  }
}
