import { runtimeSettings } from '@app/config';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3Client } from './s3-object-store';

/** Where the SDK says resolved credentials came from (`$source`, the SDK's feature ids). */
type Resolved = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; $source?: object };
const resolve = (client: ReturnType<typeof createS3Client>) =>
  client.config.credentials() as Promise<Resolved>;

const AWS_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

describe('createS3Client credentials', () => {
  beforeEach(() => {
    // Nothing of this machine's AWS setup may answer: no keys, no profile files, no IMDS.
    for (const name of AWS_VARIABLES) vi.stubEnv(name, undefined);
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  });
  afterEach(() => vi.unstubAllEnvs());

  const settings = { region: 'us-east-1', bucket: 'b', forcePathStyle: false };

  it('with keys, uses them as static credentials, whatever the environment holds', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-from-env');
    const client = createS3Client({
      ...settings,
      accessKeyId: 'AKIASTATIC',
      secretAccessKey: 'static-secret',
    });
    const credentials = await resolve(client);
    expect(credentials).toMatchObject({ accessKeyId: 'AKIASTATIC', secretAccessKey: 'static-secret' });
    expect(Object.keys(credentials.$source ?? {})).toEqual(['CREDENTIALS_CODE']);
  });

  it("without keys, passes none: the SDK's default chain finds the environment's", async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret-from-env');
    const credentials = await resolve(createS3Client(settings));
    expect(credentials).toMatchObject({ accessKeyId: 'AKIAFROMENV', secretAccessKey: 'secret-from-env' });
    expect(Object.keys(credentials.$source ?? {})).toEqual(['CREDENTIALS_ENV_VARS']);
  });

  describe('IRSA (web identity), against a local STS', () => {
    let server: Server;
    let requests: string[];
    beforeEach(async () => {
      requests = [];
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          requests.push(body);
          res.setHeader('content-type', 'text/xml');
          res.end(
            '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials>' +
              '<AccessKeyId>ASIAIRSA</AccessKeyId><SecretAccessKey>irsa-secret</SecretAccessKey><SessionToken>irsa-token</SessionToken>' +
              '<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
          );
        });
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    });
    afterEach(() => new Promise<void>((done) => server.close(() => done())));

    it("the pod's projected token is exchanged for the role's credentials, from runtimeSettings without keys", async () => {
      // What the EKS pod identity webhook injects into a pod whose ServiceAccount has a role-arn.
      const token = join(mkdtempSync(join(tmpdir(), 'irsa-')), 'token');
      writeFileSync(token, 'eyJprojected.service.account.token');
      vi.stubEnv('AWS_WEB_IDENTITY_TOKEN_FILE', token);
      vi.stubEnv('AWS_ROLE_ARN', 'arn:aws:iam::123456789012:role/tablelane');
      const { port } = server.address() as { port: number };
      vi.stubEnv('AWS_ENDPOINT_URL_STS', `http://127.0.0.1:${port}`);

      // A deployment names its endpoint (or leaves it empty) and sets no keys.
      const { s3 } = runtimeSettings({ S3_ENDPOINT: '', S3_BUCKET: 'tablelane-staging' });
      expect(s3).not.toHaveProperty('accessKeyId');
      expect(s3).not.toHaveProperty('secretAccessKey');
      const credentials = await resolve(createS3Client(s3));

      expect(credentials).toMatchObject({
        accessKeyId: 'ASIAIRSA',
        secretAccessKey: 'irsa-secret',
        sessionToken: 'irsa-token',
      });
      expect(Object.keys(credentials.$source ?? {})).toContain('CREDENTIALS_STS_ASSUME_ROLE_WEB_ID');
      expect(requests).toHaveLength(1);
      const call = new URLSearchParams(requests[0]);
      expect(call.get('Action')).toBe('AssumeRoleWithWebIdentity');
      expect(call.get('RoleArn')).toBe('arn:aws:iam::123456789012:role/tablelane');
      expect(call.get('WebIdentityToken')).toBe('eyJprojected.service.account.token');
    });
  });
});
