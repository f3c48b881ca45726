import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { CreatedObject } from './object-created-event';

// s3rver ships no type declarations.
const S3rver = require('s3rver') as new (
  options: Record<string, unknown>,
) => {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: S3rverEvent) => void): void;
  /** Koa's middleware list (s3rver is a Koa application). */
  middleware: Array<(context: KoaContext, next: () => Promise<void>) => Promise<void>>;
};

interface KoaContext {
  readonly method: string;
  readonly path: string;
  readonly querystring: string;
}

/** The S3 event notification s3rver emits after each write (one record). */
interface S3rverEvent {
  readonly Records: ReadonlyArray<{
    readonly eventName: string;
    readonly s3: {
      readonly bucket: { readonly name: string };
      readonly object: {
        readonly key: string;
        readonly size?: number;
        readonly eTag?: string;
        readonly sequencer?: string;
      };
    };
  }>;
}

/** The access key s3rver accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface LocalS3Server {
  readonly endpoint: string;
  readonly directory: string;
  stop(): Promise<void>;
}

/**
 * An S3-compatible server (s3rver) in this process on 127.0.0.1, on a free port, storing objects
 * in `directory`, or else in a temporary directory that is removed when it stops.
 */
export async function startLocalS3Server(
  options: {
    readonly directory?: string;
    /** 0 (the default): a free port. */
    readonly port?: number;
    /** Called after each object written (PutObject, CopyObject, multipart and POST uploads). */
    readonly onObjectCreated?: (object: CreatedObject) => void;
  } = {},
): Promise<LocalS3Server> {
  // A directory given by the caller is kept; a temporary one is removed on stop.
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'lambda-av-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port: options.port ?? 0, silent: true, directory });
  server.middleware.unshift(nameUnsupportedOperations);
  const { onObjectCreated } = options;
  if (onObjectCreated) {
    server.on('event', (event) => {
      for (const record of event.Records) {
        if (!record.eventName.startsWith('ObjectCreated:')) continue;
        const { bucket, object } = record.s3;
        onObjectCreated({
          bucket: bucket.name,
          key: object.key,
          eventName: record.eventName,
          ...(object.size !== undefined ? { size: object.size } : {}),
          ...(object.eTag ? { etag: object.eTag } : {}),
          ...(object.sequencer ? { sequencer: object.sequencer } : {}),
        });
      }
    });
  }
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    async stop() {
      await server.close();
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver answers operations it does not implement with `NotImplemented` and a message that does
 * not say which; this names the operation (from the method and the sub-resource, e.g.
 * `GET /bucket?encryption` is GetBucketEncryption) so a client's error says what is missing.
 */
async function nameUnsupportedOperations(context: KoaContext, next: () => Promise<void>): Promise<void> {
  try {
    await next();
  } catch (error) {
    const failure = error as Error & { code?: string; headers?: Record<string, string> };
    if (failure.code === 'NotImplemented' || failure.code === 'MethodNotAllowed') {
      const subresource = context.querystring.split('&')[0]?.split('=')[0] ?? '';
      const onObject = context.path.split('/').filter(Boolean).length > 1;
      const verb = `${context.method.charAt(0)}${context.method.slice(1).toLowerCase()}`;
      const resource = subresource.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
      const operation = `${verb}${onObject ? 'Object' : 'Bucket'}${resource}`;
      failure.message = `the local S3 server of lambda-av (s3rver) does not implement ${operation} (${context.method} ${context.path}${subresource ? `?${subresource}` : ''})`;
      if (failure.headers) failure.headers['x-amz-error-message'] = failure.message;
    }
    throw error;
  }
}

/** An S3 client for the local server: path-style addressing, checksums only where required. */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_S3_CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
