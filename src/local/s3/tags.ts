import type { TagSet } from './object-store';
import { s3Errors } from './s3-error';
import { listOf, parseXmlBody, textOf } from './xml';

/** S3's rules for object tags: at most 10, keys of 1 to 128 characters, values up to 256, these characters. */
const MAX_TAGS = 10;
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** The `x-amz-tagging` header of PutObject, CreateMultipartUpload and CopyObject: `k=v&k2=v2`, URL-encoded. */
export function tagsFromHeader(header: string | undefined): TagSet {
  if (header === undefined || header === '') return [];
  const tags = header.split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text.replace(/\+/g, ' '));
      } catch {
        throw s3Errors.invalidArgument(
          'The header x-amz-tagging shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.',
          'x-amz-tagging',
          header,
        );
      }
    };
    return [
      decode(equals < 0 ? pair : pair.slice(0, equals)),
      decode(equals < 0 ? '' : pair.slice(equals + 1)),
    ] as const;
  });
  return validTags(tags);
}

/** A `<Tagging><TagSet><Tag><Key/><Value/></Tag>...` document (PutObjectTagging, POST forms). */
export function tagsFromXml(body: Buffer): TagSet {
  const tagging = parseXmlBody(body, 'Tagging');
  const tagSet = tagging.TagSet;
  if (tagSet === undefined) throw s3Errors.malformedXml();
  const tags = listOf(tagSet, 'Tag').map((tag) => {
    const key = textOf(tag, 'Key');
    if (key === undefined) throw s3Errors.malformedXml();
    return [key, textOf(tag, 'Value') ?? ''] as const;
  });
  return validTags(tags);
}

function validTags(tags: TagSet): TagSet {
  if (tags.length > MAX_TAGS) throw s3Errors.invalidTag('Object tags cannot be greater than 10');
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (seen.has(key)) throw s3Errors.invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
    if ([...key].length < 1 || [...key].length > 128)
      throw s3Errors.invalidTag('The TagKey you have provided is invalid');
    if ([...value].length > 256) throw s3Errors.invalidTag('The TagValue you have provided is invalid');
    if (!ALLOWED.test(key) || !ALLOWED.test(value)) {
      throw s3Errors.invalidTag(
        `The TagKey or TagValue you have provided has characters S3 does not allow: ${JSON.stringify([key, value])}`,
      );
    }
    if (key.toLowerCase().startsWith('aws:'))
      throw s3Errors.invalidTag('Your TagKey cannot be prefixed with aws:');
  }
  return tags;
}
