import {
  AccessDeniedError,
  ObjectNotFoundError,
  ObjectReadError,
  TagLimitExceededError,
} from '../../../src/errors';
import { mapS3Error } from '../../../src/scan/s3-errors';

const object = { bucket: 'uploads', key: 'a b.pdf', versionId: 'v1' };
const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} from S3`), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
  });

test.each(['NoSuchKey', 'NotFound', 'NoSuchVersion', 'NoSuchBucket'])(
  '%s is ObjectNotFoundError, naming the object and version',
  (name) => {
    const mapped = mapS3Error(sdkError(name), object);

    expect(mapped).toBeInstanceOf(ObjectNotFoundError);
    expect(mapped.message).toBe(`s3://uploads/a b.pdf (version v1) does not exist (${name})`);
    expect((mapped as Error & { cause?: unknown }).cause).toMatchObject({ name });
  },
);

test('any 404 is ObjectNotFoundError, whatever the SDK names it', () => {
  expect(mapS3Error(sdkError('UnknownError', 404), object)).toBeInstanceOf(ObjectNotFoundError);
});

test('AccessDenied or any 403 is AccessDeniedError', () => {
  expect(mapS3Error(sdkError('AccessDenied'), object)).toBeInstanceOf(AccessDeniedError);
  expect(mapS3Error(sdkError('Forbidden', 403), { bucket: 'uploads', key: 'k' }).message).toBe(
    'access to s3://uploads/k was denied (Forbidden: Forbidden from S3)',
  );
});

test('our own named errors pass through unchanged', () => {
  const tags = new TagLimitExceededError('too many');
  const read = new ObjectReadError('stream ended early');

  expect(mapS3Error(tags, object)).toBe(tags);
  expect(mapS3Error(read, object)).toBe(read);
});

test('anything else, thrown values included, is a retryable ObjectReadError', () => {
  const throttled = mapS3Error(sdkError('SlowDown', 503), object);

  expect(throttled).toBeInstanceOf(ObjectReadError);
  expect(throttled.message).toBe(
    'S3 request for s3://uploads/a b.pdf (version v1) failed: SlowDown: SlowDown from S3',
  );
  expect(mapS3Error('socket hang up', object)).toBeInstanceOf(ObjectReadError);
});
