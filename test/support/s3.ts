import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectTaggingCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { LocalEndpoint } from '../../src/local/protocol/local-credentials';
import { localS3Client, startLocalS3Server } from '../../src/local/s3-server';

export interface LocalS3 extends LocalEndpoint {
  readonly client: S3Client;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string | Buffer, tags?: Record<string, string>): Promise<void>;
  tagsOf(bucket: string, key: string): Promise<Record<string, string>>;
  /** Makes an object's LastModified `ageMs` in the past (what an old upload looks like). */
  backdate(bucket: string, key: string, ageMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** lambda-av's S3 endpoint on 127.0.0.1 with a free port, storing in a temporary dir. */
export async function startLocalS3(): Promise<LocalS3> {
  const server = await startLocalS3Server();
  const { endpoint, credentials } = server;
  const client = localS3Client(server);
  return {
    endpoint,
    credentials,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body, tags) {
      const tagging = tags ? new URLSearchParams(tags).toString() : undefined;
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ...(tagging ? { Tagging: tagging } : {}),
        }),
      );
    },
    async tagsOf(bucket, key) {
      const response = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
      return Object.fromEntries((response.TagSet ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
    },
    async backdate(bucket, key, ageMs) {
      server.store.setLastModified(bucket, key, Date.now() - ageMs);
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
