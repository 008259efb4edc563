/**
 * What Node's TLS error code (tls.TLSSocket 'error', `error.code`) says about the peer's
 * certificate, for the clients of every external system (Kafka, the warehouse, the registry):
 * not signed by a trusted CA, outside its validity, or issued for another host name. Undefined
 * for any other code: not a certificate problem.
 */
export type TlsCertificateProblem = 'untrusted' | 'expired' | 'wrong-name';

const PROBLEMS = new Map<string, TlsCertificateProblem>([
  ...[
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_UNTRUSTED',
    'CERT_SIGNATURE_FAILURE',
    'CERT_REJECTED',
    'INVALID_CA',
  ].map((code) => [code, 'untrusted'] as const),
  ['CERT_HAS_EXPIRED', 'expired'],
  ['CERT_NOT_YET_VALID', 'expired'],
  ['ERR_TLS_CERT_ALTNAME_INVALID', 'wrong-name'],
]);

export function tlsCertificateProblem(code: unknown): TlsCertificateProblem | undefined {
  return typeof code === 'string' ? PROBLEMS.get(code) : undefined;
}
