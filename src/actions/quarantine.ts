import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { InfectedActionError } from '../errors';
import type { ObjectRef } from '../scan/contract';
import { readTags } from '../scan/tags';
import { describe, digestOf, type InfectedObject } from './infected-object';

/** S3 keys are at most 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/**
 * The quarantined copy's user metadata naming the account of a member account's object
 * (`x-amz-meta-lambda-av-source-account`).
 */
export const SOURCE_ACCOUNT_METADATA = 'lambda-av-source-account';

/**
 * The object is read and deleted with its own account's client (a member role on an organization
 * hub); the copy is written and checked with the hub's own, so the quarantine bucket stays the
 * hub's and admits no member account. In a deployment for one account both are the same client.
 */
export interface QuarantineClients {
  readonly source: S3Client;
  readonly quarantine: S3Client;
}

export interface QuarantineOutcome {
  readonly action: 'quarantine';
  readonly source: ObjectRef;
  readonly quarantine: ObjectRef;
  readonly size: number;
  readonly sha256: string;
}

/**
 * Where an object goes in the quarantine bucket: `<bucket>/<key>`, or `<bucket>/<SHA-256 of the
 * key>` when that would exceed S3's 1024 bytes. The quarantine bucket keeps versions, so a
 * second infected upload under the same key does not replace the first.
 */
export function quarantineKey(source: ObjectRef): string {
  const plain = `${source.bucket}/${source.key}`;
  if (Buffer.byteLength(plain) <= MAX_KEY_BYTES) return plain;
  return `${source.bucket}/${createHash('sha256').update(source.key).digest('hex')}`;
}

/**
 * Moves an INFECTED object out of reach: its bytes, metadata and tags are written to the
 * quarantine bucket, the copy is read back and compared (size, SHA-256 and tags) with what was
 * read from the original, and only then is the original version deleted. The bytes pass through this
 * function (GetObject into PutObject) rather than a server-side copy: the digest is taken as they
 * pass, and any S3-compatible store does it the same way. A failure before the comparison
 * deletes nothing; the copy left behind is harmless in the quarantine bucket.
 */
export async function quarantine(
  clients: QuarantineClients,
  object: InfectedObject,
  quarantineBucket: string,
): Promise<QuarantineOutcome> {
  const source = object.ref;
  const s3 = clients.quarantine;
  const original = await clients.source.send(
    new GetObjectCommand({
      Bucket: source.bucket,
      Key: source.key,
      VersionId: source.versionId,
      ...(object.etag ? { IfMatch: object.etag } : {}),
    }),
  );
  const hash = createHash('sha256');
  let read = 0;
  const bytes = original.Body as Readable;
  const body = new PassThrough();
  bytes.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    read += chunk.length;
  });
  bytes.pipe(body);
  const key = quarantineKey(source);
  let written: { VersionId?: string };
  try {
    written = await s3.send(
      new PutObjectCommand({
        Bucket: quarantineBucket,
        Key: key,
        Body: body,
        ContentLength: original.ContentLength,
        ContentType: original.ContentType,
        ContentEncoding: original.ContentEncoding,
        ContentDisposition: original.ContentDisposition,
        ContentLanguage: original.ContentLanguage,
        CacheControl: original.CacheControl,
        Metadata: {
          ...original.Metadata,
          // Which account the object came from, when it is a member account's (an organization hub).
          ...(source.account ? { [SOURCE_ACCOUNT_METADATA]: source.account } : {}),
        },
      }),
    );
    // Tags are written on their own: S3-compatible stores do not all read PutObject's
    // x-amz-tagging header, and a quarantined copy without its tags for a moment harms nobody.
    if (object.tags.length > 0) {
      await s3.send(
        new PutObjectTaggingCommand({
          Bucket: quarantineBucket,
          Key: key,
          VersionId: written.VersionId,
          Tagging: { TagSet: [...object.tags] },
        }),
      );
    }
  } catch (error) {
    bytes.destroy();
    throw new InfectedActionError(
      `could not write the quarantined copy of ${describe(source)} to s3://${quarantineBucket}/${key}: ${(error as Error).name}: ${(error as Error).message}; the original is kept`,
      { cause: error },
    );
  }
  const sha256 = hash.digest('hex');
  const copy: ObjectRef = {
    bucket: quarantineBucket,
    key,
    ...(written.VersionId ? { versionId: written.VersionId } : {}),
  };
  const check = await digestOf(s3, copy);
  if (read !== object.size || check.size !== read || check.sha256 !== sha256) {
    throw new InfectedActionError(
      `the quarantined copy of ${describe(source)} does not match it (read ${read} of ${object.size} bytes, sha256 ${sha256}; copy ${check.size} bytes, sha256 ${check.sha256}): the original is kept`,
    );
  }
  const copiedTags = await readTags(s3, copy);
  if (!sameTags(copiedTags, object.tags)) {
    throw new InfectedActionError(
      `the quarantined copy of ${describe(source)} has tags ${JSON.stringify(copiedTags)}, not ${JSON.stringify(object.tags)}: the original is kept`,
    );
  }
  await clients.source.send(
    new DeleteObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
  );
  return { action: 'quarantine', source, quarantine: copy, size: read, sha256 };
}

function sameTags(a: readonly Tag[], b: readonly Tag[]): boolean {
  const text = (tags: readonly Tag[]) => JSON.stringify([...tags].map((tag) => [tag.Key, tag.Value]).sort());
  return text(a) === text(b);
}
