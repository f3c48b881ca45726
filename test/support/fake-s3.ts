import { Readable } from 'node:stream';
import { S3Client, type Tag } from '@aws-sdk/client-s3';

export interface FakeObject {
  body: Buffer;
  tags: Tag[];
  readonly versionId?: string;
}

/**
 * An S3Client whose requests never leave the process: a middleware answers GetObject,
 * GetObjectTagging and PutObjectTagging from `objects` (keyed `bucket/key`), as S3 would for those
 * calls, and records each request. For fast tests of what the scan does with S3's answers; S3's
 * own semantics are tested against lambda-av's S3 endpoint and moto in the integration tier.
 */
export function fakeS3(objects: Map<string, FakeObject>): { client: S3Client; calls: string[] } {
  const calls: string[] = [];
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const input = args.input as { Bucket: string; Key: string; Tagging?: { TagSet: Tag[] } };
      calls.push(`${context.commandName} ${input.Bucket}/${input.Key}`);
      const object = objects.get(`${input.Bucket}/${input.Key}`);
      if (!object) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
      const version = object.versionId ? { VersionId: object.versionId } : {};
      switch (context.commandName) {
        case 'GetObjectCommand':
          return {
            response: {},
            output: {
              // The scan reads the body as an async iterable and destroys it: a Readable is both.
              Body: Readable.from([object.body]),
              ContentLength: object.body.length,
              ...version,
              $metadata: {},
            },
          } as never;
        case 'GetObjectTaggingCommand':
          return { response: {}, output: { TagSet: object.tags, ...version, $metadata: {} } } as never;
        case 'PutObjectTaggingCommand':
          object.tags = input.Tagging?.TagSet ?? [];
          return { response: {}, output: { ...version, $metadata: {} } } as never;
        default:
          throw new Error(`the fake S3 does not answer ${context.commandName}`);
      }
    },
    { step: 'initialize', name: 'fakeS3' },
  );
  return { client, calls };
}
