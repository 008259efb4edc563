import { describe, expect, it } from 'vitest';
import {
  connectionRefusal,
  kafkajsSecurity,
  KafkaConnectionRefused,
  type KafkaConnection,
} from './kafka-security';

const plain: KafkaConnection = { brokers: ['b1:9094', 'b2:9094'], clientId: 'tablelane' };
const scram: KafkaConnection = {
  ...plain,
  ssl: { ca: 'PEM', verifyHostname: true, caLocation: '/etc/kafka/ca.crt' },
  sasl: { mechanism: 'scram-sha-512', username: 'loader', password: 's3cret' },
};

/** kafkajs' connection error for a TLS failure: Node's error is its cause. */
const tlsFailure = (code: string, message = code) =>
  Object.assign(new Error(`Connection error: ${message}`), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    cause: Object.assign(new Error(message), { code }),
  });

describe('kafkajsSecurity', () => {
  it('connects in plaintext without authentication when nothing is set', () => {
    expect(kafkajsSecurity(plain)).toEqual({});
  });

  it('verifies the chain against the CA and the host name, and passes SCRAM credentials', () => {
    const { ssl, sasl } = kafkajsSecurity(scram);
    expect(ssl).toEqual({ rejectUnauthorized: true, ca: ['PEM'] });
    expect(sasl).toEqual({ mechanism: 'scram-sha-512', username: 'loader', password: 's3cret' });
  });

  it('keeps verifying the chain when only the host name check is turned off', () => {
    const { ssl } = kafkajsSecurity({
      ...plain,
      ssl: { verifyHostname: false, cert: 'CERT', key: 'KEY', keyPassword: 'pw' },
    });
    expect(ssl).toMatchObject({ rejectUnauthorized: true, cert: 'CERT', key: 'KEY', passphrase: 'pw' });
    expect((ssl as { checkServerIdentity: () => unknown }).checkServerIdentity()).toBeUndefined();
  });

  it('speaks OAUTHBEARER with a signed token for MSK IAM', () => {
    const { sasl } = kafkajsSecurity({
      ...plain,
      ssl: { verifyHostname: true },
      sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' },
    });
    expect(sasl).toMatchObject({ mechanism: 'oauthbearer', oauthBearerProvider: expect.any(Function) });
  });
});

describe('connectionRefusal', () => {
  it('names the credentials settings when SASL is refused, never the password', () => {
    const refused = connectionRefusal(
      Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
        name: 'KafkaJSSASLAuthenticationError',
      }),
      scram,
    );
    expect(refused).toBeInstanceOf(KafkaConnectionRefused);
    expect(refused!.retriable).toBe(false);
    expect(refused!.message).toMatch(
      /user "loader" \(scram-sha-512\).*KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(refused!.message).not.toContain('s3cret');
  });

  it('names the CA setting for an untrusted certificate, the brokers, and the file in use', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ]) {
      expect(connectionRefusal(tlsFailure(code), scram)?.message).toBe(
        `the certificate of Kafka at b1:9094,b2:9094 is not signed by the CA in KAFKA_SSL_CA_LOCATION (/etc/kafka/ca.crt) (${code}); set KAFKA_SSL_CA_LOCATION to the CA bundle that signed the brokers' certificates`,
      );
    }
    expect(
      connectionRefusal(tlsFailure('SELF_SIGNED_CERT_IN_CHAIN'), { ...scram, ssl: { verifyHostname: true } })
        ?.message,
    ).toContain("Node's default CAs (KAFKA_SSL_CA_LOCATION is unset)");
  });

  it('names the host name setting for a certificate of another host, and says when it expired', () => {
    expect(
      connectionRefusal(
        tlsFailure('ERR_TLS_CERT_ALTNAME_INVALID', "Host: vm. is not in the cert's altnames"),
        scram,
      )?.message,
    ).toMatch(/does not name the host connected to \(Host: vm\..*KAFKA_SSL_VERIFY_HOSTNAME=false/);
    expect(connectionRefusal(tlsFailure('CERT_HAS_EXPIRED'), scram)?.message).toMatch(
      /expired or not yet valid/,
    );
  });

  it('leaves what a retry can fix to the retries: a broker down or not up yet', () => {
    expect(connectionRefusal(tlsFailure('ECONNREFUSED'), scram)).toBeUndefined();
    expect(connectionRefusal(new Error('Closed connection'), scram)).toBeUndefined();
    expect(connectionRefusal(undefined, scram)).toBeUndefined();
  });
});
