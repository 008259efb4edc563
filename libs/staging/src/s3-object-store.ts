import { GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import type { ObjectStore } from './object-store.port';

export interface S3Settings {
  /** Absent: AWS's regional endpoint. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Both or neither (runtimeSettings checks it): neither means the AWS SDK's default chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

/**
 * The S3 client of the staging bucket. With keys (S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY),
 * static credentials; without, no `credentials` at all, so the SDK's default chain finds them:
 * environment, web identity (IRSA on EKS), SSO and profiles, the container (ECS, EKS Pod
 * Identity) and instance roles, refreshed before they expire.
 */
export function createS3Client(settings: S3Settings): S3Client {
  const { accessKeyId, secretAccessKey } = settings;
  return new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // Our retry loop owns backoff across the whole flush; the SDK retries a little on its own.
    maxAttempts: 3,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  });
}

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'text/csv' }),
    );
  }

  async get(key: string): Promise<Readable> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return response.Body as Readable;
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}
