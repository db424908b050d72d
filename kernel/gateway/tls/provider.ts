// Where the zone gateway's certificate comes from. The default is the zone CA made at activation
// (zone-ca.ts); an ACME client or an owner-supplied certificate plugs in behind the same interface.
export interface ZoneCertificate {
  /** PEM private key of the certificate. */
  keyPem: string;
  /** PEM certificate chain, leaf first. */
  certPem: string;
}

export interface CertificateProvider {
  /** The certificate to serve now (made or loaded on first call). */
  current(): Promise<ZoneCertificate>;
  /** Called with the new certificate when it changes (renewal, the owner replaced it). */
  onChange?(listener: (cert: ZoneCertificate) => void): void;
  /** The CA certificate a browser must trust, when it is not a public one (the zone CA); shown on the trust page. */
  trustAnchorPem?(): string | undefined;
  /**
   * Names beyond the zone's own that the certificate should cover: the zone gateway passes `<app>.<zone>`
   * of every exposed app on each route change (a wildcard covers nothing under a one-label zone name).
   * A provider that cannot issue at will ignores it.
   */
  setExtraNames?(names: string[]): Promise<void>;
  stop?(): Promise<void>;
}
