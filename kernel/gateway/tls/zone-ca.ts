// The default certificate provider: the zone's own certificate authority, made the first time the
// zone gateway starts after activation, and a gateway certificate it signs for the zone's names.
//
// Keys are node:crypto's (ECDSA P-256, which every browser accepts for TLS 1.3; Ed25519 certificates
// are not accepted by browsers). node:crypto can parse certificates but not make them, so the X.509
// structures are built by @peculiar/x509 (PeculiarVentures' library, maintained, typed, no crypto of
// its own: it signs through the WebCrypto provider we hand it, node:crypto's webcrypto). Hand-writing
// DER would be inventing our own encoder for a security-critical format.
//
// The CA is name-constrained to the zone (RFC 5280 nameConstraints, permitted dNSName = the zone host):
// a device that trusts it trusts it for the zone's names only, never for anyone else's site.
// Files, in <etc>/zone-ca/ (0700): ca.key (0600), ca.crt, gateway.key (0600), gateway.crt.
import { createPrivateKey, webcrypto, X509Certificate, KeyObject, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints, id_ce_nameConstraints } from '@peculiar/asn1-x509';
import { writeFileAtomic } from '../../lib/fs-atomic.js';
import type { CertificateProvider, ZoneCertificate } from './provider.js';

type CryptoKey = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
/** What browsers accept for a leaf at most (CA/B Forum: 398 days). */
const LEAF_DAYS = 397;
const RENEW_BEFORE_DAYS = 30;

const serial = () => { const b = randomBytes(16); b[0] &= 0x7f; return b.toString('hex'); };
const pemKey = async (key: CryptoKey) => KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;

/** The names the gateway certificate covers: the zone, `sys.` and `*.` the zone, and any extra ones (`<app>.<zone>`), all inside the CA's name constraint. */
export function zoneNames(zoneHost: string, extra: string[] = []): string[] {
  return [...new Set([zoneHost, `*.${zoneHost}`, `sys.${zoneHost}`, ...extra])].sort();
}

function sanNames(pem: string): string[] {
  const san = new X509Certificate(pem).subjectAltName ?? '';
  return san.split(', ').filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)).sort();
}

export interface ZoneCaOptions {
  /** The node's etc/ folder. */
  etcDir: string;
  zoneHost: string;
  now?: () => number;
}

export class ZoneCaProvider implements CertificateProvider {
  private readonly dir: string;
  private caPem: string | undefined;
  private cert: ZoneCertificate | undefined;
  private extra: string[] = [];
  private readonly listeners: Array<(c: ZoneCertificate) => void> = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ZoneCaOptions) {
    this.dir = join(opts.etcDir, 'zone-ca');
  }

  private now() { return this.opts.now?.() ?? Date.now(); }

  trustAnchorPem() { return this.caPem; }
  onChange(listener: (c: ZoneCertificate) => void) { this.listeners.push(listener); }

  async current(): Promise<ZoneCertificate> {
    if (!this.cert) {
      await this.serialized(() => this.ensure());
      this.renewTimer = setInterval(() => { void this.serialized(() => this.ensure()).catch(() => {}); }, DAY_MS);
      this.renewTimer.unref();
    }
    return this.cert!;
  }

  /** Extra names to cover (`<app>.<zone>` of exposed apps); reissues the certificate when they change. Names outside the zone are left out. */
  async setExtraNames(names: string[]): Promise<void> {
    const zone = this.opts.zoneHost;
    this.extra = [...new Set(names)].filter((n) => n.endsWith(`.${zone}`)).sort();
    if (this.cert) await this.serialized(() => this.ensure());
  }

  async stop() { if (this.renewTimer) clearInterval(this.renewTimer); }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.busy.then(fn, fn);
    this.busy = run.catch(() => {});
    return run;
  }

  private async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const ca = await this.loadOrMakeCa();
    this.caPem = ca.certPem;
    const wanted = zoneNames(this.opts.zoneHost, this.extra);
    let leaf: ZoneCertificate | undefined;
    try {
      leaf = { keyPem: await readFile(join(this.dir, 'gateway.key'), 'utf8'), certPem: await readFile(join(this.dir, 'gateway.crt'), 'utf8') };
      const x = new X509Certificate(leaf.certPem.split(/(?<=-----END CERTIFICATE-----)/)[0]);
      const fresh = Date.parse(x.validTo) - this.now() > RENEW_BEFORE_DAYS * DAY_MS;
      const same = JSON.stringify(sanNames(leaf.certPem)) === JSON.stringify(wanted);
      if (!fresh || !same || !x.checkIssued(new X509Certificate(ca.certPem))) leaf = undefined;
    } catch {
      leaf = undefined;
    }
    if (!leaf) {
      leaf = await this.issue(ca, wanted);
      await writeFileAtomic(join(this.dir, 'gateway.key'), leaf.keyPem, 0o600);
      await writeFileAtomic(join(this.dir, 'gateway.crt'), leaf.certPem, 0o644);
    }
    const changed = this.cert !== undefined && this.cert.certPem !== leaf.certPem;
    this.cert = leaf;
    if (changed) for (const l of this.listeners) l(leaf);
  }

  private async loadOrMakeCa(): Promise<{ certPem: string; key: CryptoKey; cert: x509.X509Certificate }> {
    try {
      const certPem = await readFile(join(this.dir, 'ca.crt'), 'utf8');
      const keyPem = await readFile(join(this.dir, 'ca.key'), 'utf8');
      const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
      const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
      return { certPem, key, cert: new x509.X509Certificate(certPem) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const zone = this.opts.zoneHost;
    const notBefore = new Date(this.now() - DAY_MS);
    const constraints = new NameConstraints({ permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ dNSName: zone }) })]) });
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: [{ CN: [`${zone} home cloud CA`] }, { O: ['BuckyOS zone'] }],
      notBefore, notAfter: new Date(notBefore.getTime() + CA_DAYS * DAY_MS),
      signingAlgorithm: ALG, keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(constraints)),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const certPem = cert.toString('pem');
    // The key first: a ca.crt without its key would be a CA we can never sign with.
    await writeFileAtomic(join(this.dir, 'ca.key'), await pemKey(keys.privateKey), 0o600);
    await writeFileAtomic(join(this.dir, 'ca.crt'), `${certPem}\n`, 0o644);
    return { certPem: `${certPem}\n`, key: keys.privateKey, cert };
  }

  private async issue(ca: { key: CryptoKey; cert: x509.X509Certificate; certPem: string }, names: string[]): Promise<ZoneCertificate> {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const notBefore = new Date(this.now() - DAY_MS);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: [{ CN: [this.opts.zoneHost] }],
      issuer: ca.cert.subject,
      notBefore, notAfter: new Date(notBefore.getTime() + LEAF_DAYS * DAY_MS),
      signingAlgorithm: ALG, publicKey: keys.publicKey, signingKey: ca.key,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value })), false),
        await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { keyPem: await pemKey(keys.privateKey), certPem: `${cert.toString('pem')}\n${ca.certPem}` };
  }
}
