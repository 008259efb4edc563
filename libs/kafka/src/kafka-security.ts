import { TablelaneError, tlsCertificateProblem, type KafkaConnectionSettings } from '@app/config';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';

/** How to reach and authenticate to a cluster: RuntimeSettings.kafka, built and checked by libs/config. */
export type KafkaConnection = KafkaConnectionSettings;

/** kafkajs' ssl and sasl options for a connection. The certificate chain is always verified. */
export function kafkajsSecurity(connection: KafkaConnection): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { ssl, sasl } = connection;
  const tls: ConnectionOptions | undefined = ssl && {
    rejectUnauthorized: true,
    ...(ssl.ca !== undefined && { ca: [ssl.ca] }),
    ...(ssl.cert !== undefined && { cert: ssl.cert }),
    ...(ssl.key !== undefined && { key: ssl.key }),
    ...(ssl.keyPassword !== undefined && { passphrase: ssl.keyPassword }),
    // Chain still verified; only the name check is skipped (brokers behind an address the
    // certificate does not list, e.g. a port-forward).
    ...(!ssl.verifyHostname && { checkServerIdentity: () => undefined }),
  };
  return { ...(tls && { ssl: tls }), ...(sasl && { sasl: kafkajsSasl(sasl) }) };
}

function kafkajsSasl(sasl: NonNullable<KafkaConnection['sasl']>): SASLOptions {
  if (sasl.mechanism !== 'aws-msk-iam') return sasl;
  // MSK IAM over OAUTHBEARER: a token signed with the default AWS credential chain (IRSA on
  // EKS), fetched again by kafkajs on every (re)authentication.
  const { region } = sasl;
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
  };
}

/** The cluster refused how we connect (certificate, credentials): retrying cannot help. */
export class KafkaConnectionRefused extends TablelaneError {
  readonly code = 'KAFKA_CONNECTION_REFUSED';
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KafkaConnectionRefused';
  }
}

/**
 * What a failed first connection says about the settings, when it says anything definite: an
 * untrusted, expired or misnamed broker certificate, or refused SASL credentials. Undefined for
 * anything else (a broker down or unreachable is worth retrying).
 */
export function connectionRefusal(
  error: unknown,
  connection: KafkaConnection,
): KafkaConnectionRefused | undefined {
  const brokers = connection.brokers.join(',');
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'KafkaJSSASLAuthenticationError') {
    const who =
      connection.sasl && 'username' in connection.sasl
        ? `user "${connection.sasl.username}" (${connection.sasl.mechanism})`
        : `this client (${connection.sasl?.mechanism})`;
    const fix =
      connection.sasl?.mechanism === 'aws-msk-iam'
        ? "check the pod's IAM role (IRSA) allows kafka-cluster:Connect on this cluster"
        : 'check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE), and KAFKA_SASL_MECHANISM';
    return new KafkaConnectionRefused(
      `Kafka at ${brokers} refused the SASL credentials of ${who}: ${e.message}; ${fix}`,
      {
        cause: error,
      },
    );
  }
  const code = e?.cause?.code;
  const problem = tlsCertificateProblem(code);
  if (problem === undefined) return undefined;
  const ca = connection.ssl?.caLocation
    ? `the CA in KAFKA_SSL_CA_LOCATION (${connection.ssl.caLocation})`
    : "Node's default CAs (KAFKA_SSL_CA_LOCATION is unset)";
  let message: string;
  if (problem === 'untrusted')
    message = `the certificate of Kafka at ${brokers} is not signed by ${ca} (${code}); set KAFKA_SSL_CA_LOCATION to the CA bundle that signed the brokers' certificates`;
  else if (problem === 'expired')
    message = `the certificate of Kafka at ${brokers} is expired or not yet valid (${code}); renew the brokers' certificates`;
  else
    message = `the certificate of Kafka at ${brokers} does not name the host connected to (${e.cause?.message}); list the brokers in KAFKA_BROKERS by a name the certificate carries, or (only if you must) set KAFKA_SSL_VERIFY_HOSTNAME=false`;
  return new KafkaConnectionRefused(message, { cause: error });
}
