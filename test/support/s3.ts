import { readdir, readFile, utimes } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { localS3Client, startLocalS3Server } from '../../src/local/s3-server';

export interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string | Buffer, tags?: Record<string, string>): Promise<void>;
  tagsOf(bucket: string, key: string): Promise<Record<string, string>>;
  /** Makes an object's LastModified `ageMs` in the past (what an old upload looks like). */
  backdate(bucket: string, key: string, ageMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A real S3-protocol server (s3rver) on 127.0.0.1 with a free port, storing in a temporary dir. */
export async function startLocalS3(): Promise<LocalS3> {
  const server = await startLocalS3Server();
  const { endpoint } = server;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body, tags) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      if (tags) {
        // s3rver ignores the x-amz-tagging header of PutObject, so tags are written separately.
        const TagSet = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
        await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet } }));
      }
    },
    async tagsOf(bucket, key) {
      const response = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return Object.fromEntries((response.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    async backdate(bucket, key, ageMs) {
      // s3rver reports the stored file's mtime as LastModified, in listings and HEAD alike; the
      // file is named as its filesystem store names it (POSIX: the key, with this suffix).
      const parts = key.split('/');
      const file = path.join(
        server.directory,
        bucket,
        ...parts.slice(0, -1),
        `${parts.at(-1)}._S3rver_object`,
      );
      const when = new Date(Date.now() - ageMs);
      await utimes(file, when, when);
    },
    async stop() {
      client.destroy();
      await server.stop();
    },
  };
}

/** Uploads every file of a local directory under `prefix/`. */
export async function uploadDirectory(
  s3: LocalS3,
  bucket: string,
  dir: string,
  prefix: string,
): Promise<void> {
  for (const name of await readdir(dir)) {
    await s3.put(bucket, prefix ? `${prefix}/${name}` : name, await readFile(path.join(dir, name)));
  }
}
