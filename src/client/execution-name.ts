import { createHash } from 'node:crypto';
import type { ObjectRef } from '../scan/contract';

/** Step Functions allows at most 80 characters in an execution name. */
export const MAX_EXECUTION_NAME = 80;

/**
 * A deterministic execution name for one scan attempt of one object version: a readable part of
 * the key, a digest of bucket, key and version, and the attempt number. Only `A-Z a-z 0-9 - _`
 * are used, so any key (spaces, unicode, `%`, `:`...) gives a valid name; the digest keeps names
 * unique when keys share their readable part. Starting the same attempt twice is refused by
 * Step Functions as a duplicate, which makes retries of an upload workflow safe.
 */
export function scanExecutionName(object: ObjectRef, attempt = 1): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a whole number from 1, got ${attempt}`);
  }
  const digest = createHash('sha256')
    .update(`${object.bucket}\0${object.key}\0${object.versionId ?? ''}`)
    .digest('hex')
    .slice(0, 20);
  const suffix = `-${digest}-${attempt}`;
  const base = object.key.split('/').filter(Boolean).at(-1) ?? 'object';
  const readable = base
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_EXECUTION_NAME - suffix.length - 5);
  return `scan-${readable || 'object'}${suffix}`;
}
