import { createS3Client } from '@app/staging';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { stackEnv } from './env';

/** An S3 client for the local stack's bucket. */
export function testS3Client(): S3Client {
  return createS3Client({
    endpoint: stackEnv.S3_ENDPOINT,
    region: 'us-east-1',
    bucket: stackEnv.S3_BUCKET,
    accessKeyId: stackEnv.S3_ACCESS_KEY_ID,
    secretAccessKey: stackEnv.S3_SECRET_ACCESS_KEY,
    forcePathStyle: true,
  });
}

/**
 * Deletes an object named by its `s3://bucket/key` URI. Only tests delete what was staged or
 * moved to S3, so the ObjectStore port has no delete.
 */
export async function deleteObject(s3: S3Client, uri: string): Promise<void> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  await s3.send(new DeleteObjectCommand({ Bucket: match[1], Key: match[2] }));
}
