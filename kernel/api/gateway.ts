// The zone gateway's fixed paths (issue 12): the page that explains how to trust the zone's own
// certificate authority and the CA certificate itself, both served over plain HTTP on port 80 too.
export const TRUST_PATH = '/.well-known/buckyos/trust';
export const CA_PATH = '/.well-known/buckyos/zone-ca.crt';
