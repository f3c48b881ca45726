import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '../errors';
import type { EventObject, ObjectRef } from './contract';
import { candidateKeys } from './event-object';
import { mapS3Error } from './s3-errors';

export interface ResolvedObject {
  readonly object: ObjectRef;
  readonly size: number;
}

/**
 * Finds the object an EventBridge event names. Each candidate key (the key as written and its
 * form-decoding) is looked up with HeadObject (the event's version when it names one); a
 * candidate is the object only if it matches what the event says: size, ETag and version. So
 * whichever way AWS encodes keys in these events, the object found is the one uploaded, and an
 * object that does not match the event is never scanned or tagged in its name.
 *
 * Two matches (`a+b.pdf` and `a b.pdf` both exist with the same bytes) are told apart by their
 * LastModified, the one nearer the event's time; the key as written wins a tie.
 * Throws ObjectNotFoundError when no candidate matches; S3 failures as the named S3 errors.
 */
export async function resolveEventObject(s3: S3Client, event: EventObject): Promise<ResolvedObject> {
  const looked: string[] = [];
  const matches: Array<{ key: string; head: HeadObjectCommandOutput }> = [];
  for (const key of candidateKeys(event.eventKey)) {
    const object: ObjectRef = {
      bucket: event.bucket,
      key,
      ...(event.versionId ? { versionId: event.versionId } : {}),
    };
    const head = await headIfExists(s3, object);
    if (!head) {
      looked.push(`${JSON.stringify(key)}: no such object${event.versionId ? ' version' : ''}`);
      continue;
    }
    const mismatch = differences(event, head);
    if (mismatch.length > 0) looked.push(`${JSON.stringify(key)}: ${mismatch.join(', ')}`);
    else matches.push({ key, head });
  }
  const chosen = nearestInTime(matches, event.time);
  if (!chosen) {
    throw new ObjectNotFoundError(
      `no object in bucket ${event.bucket} matches the event's key ${JSON.stringify(event.eventKey)}${describeExpected(event)}: ${looked.join('; ')}`,
    );
  }
  const versionId = chosen.head.VersionId ?? event.versionId;
  return {
    object: {
      bucket: event.bucket,
      key: chosen.key,
      ...(versionId && versionId !== 'null' ? { versionId } : {}),
    },
    size: chosen.head.ContentLength ?? 0,
  };
}

async function headIfExists(s3: S3Client, object: ObjectRef): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3.send(
      new HeadObjectCommand({ Bucket: object.bucket, Key: object.key, VersionId: object.versionId }),
    );
  } catch (error) {
    const mapped = mapS3Error(error, object);
    if (mapped instanceof ObjectNotFoundError) return undefined;
    throw mapped;
  }
}

/** What the object found differs in from what the event says; empty when it matches. */
function differences(event: EventObject, head: HeadObjectCommandOutput): string[] {
  const found: string[] = [];
  if (event.size !== undefined && head.ContentLength !== event.size) {
    found.push(`size ${head.ContentLength}, not ${event.size}`);
  }
  const etag = unquote(head.ETag);
  if (event.etag !== undefined && etag !== undefined && etag !== unquote(event.etag)) {
    found.push(`ETag ${etag}, not ${event.etag}`);
  }
  if (event.versionId !== undefined && head.VersionId !== undefined && head.VersionId !== event.versionId) {
    found.push(`version ${head.VersionId}, not ${event.versionId}`);
  }
  return found;
}

function nearestInTime<T extends { head: HeadObjectCommandOutput }>(
  matches: readonly T[],
  time: string | undefined,
): T | undefined {
  const at = time === undefined ? Number.NaN : Date.parse(time);
  if (matches.length < 2 || Number.isNaN(at)) return matches[0];
  const distance = (match: T) =>
    Math.abs((match.head.LastModified?.getTime() ?? Number.POSITIVE_INFINITY) - at);
  return matches.reduce((best, match) => (distance(match) < distance(best) ? match : best));
}

function describeExpected(event: EventObject): string {
  const facts = [
    event.size !== undefined ? `size ${event.size}` : undefined,
    event.etag !== undefined ? `ETag ${event.etag}` : undefined,
    event.versionId !== undefined ? `version ${event.versionId}` : undefined,
  ].filter((fact) => fact !== undefined);
  return facts.length > 0 ? ` (${facts.join(', ')})` : '';
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^"|"$/g, '');
}
