import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client, type Tag } from '@aws-sdk/client-s3';
import { InfectedActionError } from '../errors';
import type { ObjectRef } from '../scan/contract';
import { mapS3Error } from '../scan/s3-errors';
import { readTags } from '../scan/tags';

/** What the actions need to know about the object they act on, read from S3 before anything is done. */
export interface InfectedObject {
  readonly ref: ObjectRef;
  readonly size: number;
  readonly etag: string | undefined;
  readonly tags: readonly Tag[];
}

/**
 * Reads the object (the exact version, when there is one) and refuses to go on unless its status
 * tag still says INFECTED: for a bucket without versions this is what tells the object scanned
 * from a newer upload under the same key, which has no verdict yet.
 */
export async function readInfectedObject(
  s3: S3Client,
  ref: ObjectRef,
  status: { readonly tagKey: string; readonly infected: string },
): Promise<InfectedObject> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
    );
    const tags = await readTags(s3, ref);
    const tagged = tags.find((tag) => tag.Key === status.tagKey)?.Value;
    if (tagged !== status.infected) {
      throw new InfectedActionError(
        `${describe(ref)} is tagged ${status.tagKey}=${tagged ?? '(none)'}, not ${status.infected}: it is left as it is`,
      );
    }
    return { ref, size: head.ContentLength ?? 0, etag: head.ETag, tags };
  } catch (error) {
    if (error instanceof InfectedActionError) throw error;
    throw mapS3Error(error, ref);
  }
}

/** SHA-256 (hex) and length of an object's bytes, read from S3. */
export async function digestOf(s3: S3Client, ref: ObjectRef): Promise<{ sha256: string; size: number }> {
  const response = await s3.send(
    new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId }),
  );
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of response.Body as Readable) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function describe(ref: ObjectRef): string {
  return `s3://${ref.bucket}/${ref.key}${ref.versionId ? ` (version ${ref.versionId})` : ''}`;
}
