import {
  GetObjectTaggingCommand,
  PutObjectTaggingCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { TagLimitExceededError } from '../errors';
import type { ObjectRef } from './contract';

/** S3 keeps at most this many tags on one object. */
export const S3_MAX_TAGS = 10;

/**
 * The object's tags with ours set: the owner's tags are kept in their order, ours replace any
 * earlier value of the same key. Throws rather than dropping a tag when the result would not fit.
 */
export function mergeTags(existing: readonly Tag[], ours: Readonly<Record<string, string>>): Tag[] {
  const merged = existing
    .filter((tag) => tag.Key === undefined || !(tag.Key in ours))
    .map((tag) => ({ ...tag }));
  for (const [Key, Value] of Object.entries(ours)) merged.push({ Key, Value });
  if (merged.length > S3_MAX_TAGS) {
    const owners = merged.length - Object.keys(ours).length;
    throw new TagLimitExceededError(
      `the object already has ${owners} tags of its own; adding ${Object.keys(ours).join(' and ')} would make ${merged.length}, over S3's limit of ${S3_MAX_TAGS}, and no existing tag is dropped`,
    );
  }
  return merged;
}

/** An object's tags and the version S3 read them from (none without versioning). */
export interface TagsRead {
  readonly tags: Tag[];
  readonly versionId: string | undefined;
}

export async function readTags(s3: S3Client, object: ObjectRef): Promise<Tag[]> {
  return (await readVersionTags(s3, object)).tags;
}

/** The object's tags, with the version S3 read them from. */
export async function readVersionTags(s3: S3Client, object: ObjectRef): Promise<TagsRead> {
  const response = await s3.send(
    new GetObjectTaggingCommand({ Bucket: object.bucket, Key: object.key, VersionId: object.versionId }),
  );
  return { tags: response.TagSet ?? [], versionId: response.VersionId };
}

/** Writes `ours` merged into the tags read in `existing` (read them with `readTags` first). */
export async function writeMergedTags(
  s3: S3Client,
  object: ObjectRef,
  existing: readonly Tag[],
  ours: Readonly<Record<string, string>>,
): Promise<void> {
  const TagSet = mergeTags(existing, ours);
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: object.bucket,
      Key: object.key,
      VersionId: object.versionId,
      Tagging: { TagSet },
    }),
  );
}
