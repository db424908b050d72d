// Peer directories: where the stack learns a device's owner-signed document and addresses.
import { hostOf, type PeerDirectory, type PeerRecord, type VerifiedPeer } from './trust.js';
import { decodeUnverified } from '../lib/identity/jwt.js';

/** A fixed table (tests, and a node's bootstrap: the OOD's document from its join bundle). */
export class StaticDirectory implements PeerDirectory {
  private readonly byKey = new Map<string, PeerRecord>();
  private relayNames: string[] = [];

  /** Adds or replaces a device; its name, DID and hostname all find it. */
  set(docJwt: string, addresses: string[] = []): this {
    const p = decodeUnverified(docJwt).payload as { name?: unknown; id?: unknown };
    const rec: PeerRecord = { docJwt, addresses };
    if (typeof p.name === 'string') this.byKey.set(p.name, rec);
    if (typeof p.id === 'string') {
      this.byKey.set(p.id, rec);
      try { this.byKey.set(hostOf(p.id), rec); } catch { /* not a DID */ }
    }
    return this;
  }

  setAddresses(name: string, addresses: string[]): this {
    const rec = this.byKey.get(name);
    if (rec) rec.addresses = addresses;
    return this;
  }

  setRelays(names: string[]): this {
    this.relayNames = names;
    return this;
  }

  lookup(target: string): PeerRecord | undefined {
    return this.byKey.get(target);
  }

  relays(target: VerifiedPeer): string[] {
    return this.relayNames.filter((n) => n !== target.name);
  }
}
