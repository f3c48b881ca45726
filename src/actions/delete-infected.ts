import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectRef } from '../scan/contract';
import type { InfectedObject } from './infected-object';

export interface DeleteOutcome {
  readonly action: 'delete';
  readonly source: ObjectRef;
  readonly size: number;
}

/**
 * Deletes the exact version that was scanned. In a bucket without versions there is only the
 * current object, whose INFECTED tag `readInfectedObject` checked first.
 */
export async function deleteInfected(s3: S3Client, object: InfectedObject): Promise<DeleteOutcome> {
  const { ref } = object;
  await s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }));
  return { action: 'delete', source: ref, size: object.size };
}
