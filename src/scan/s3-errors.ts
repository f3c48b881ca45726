import { AccessDeniedError, ObjectNotFoundError, ObjectReadError, TagLimitExceededError } from '../errors';
import type { ObjectRef } from './contract';

/** Turns an S3 SDK error into one of our named errors, saying which object it concerns. */
export function mapS3Error(error: unknown, object: ObjectRef): Error {
  const failure = asError(error);
  const where = `s3://${object.bucket}/${object.key}${object.versionId ? ` (version ${object.versionId})` : ''}`;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  if (['NoSuchKey', 'NotFound', 'NoSuchVersion', 'NoSuchBucket'].includes(failure.name) || status === 404) {
    return new ObjectNotFoundError(`${where} does not exist (${failure.name})`, { cause: error });
  }
  if (failure.name === 'AccessDenied' || status === 403) {
    return new AccessDeniedError(`access to ${where} was denied (${failure.name}: ${failure.message})`, {
      cause: error,
    });
  }
  if (failure instanceof TagLimitExceededError || failure instanceof ObjectReadError) return failure;
  return new ObjectReadError(`S3 request for ${where} failed: ${failure.name}: ${failure.message}`, {
    cause: error,
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
