import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { CreatedObject } from './object-created-event';
import { startAwsServer } from './protocol/aws-server';
import { type LocalCredentials, type LocalEndpoint, newLocalCredentials } from './protocol/local-credentials';
import { decodeComponent } from './protocol/sigv4';
import { MultipartUploads } from './s3/multipart-uploads';
import { ObjectStore } from './s3/object-store';
import { isFormPost, postObject } from './s3/post-object';
import type { S3Context } from './s3/s3-context';
import { S3Error } from './s3/s3-error';
import { handleS3 } from './s3/s3-handler';
import { sendS3Error } from './s3/s3-http';

export interface LocalS3Server extends LocalEndpoint {
  /** Where objects are kept (`<directory>/`: buckets, blobs, uploads). */
  readonly directory: string;
  /** The objects themselves, for what only tests do (backdating an object's LastModified). */
  readonly store: ObjectStore;
  stop(): Promise<void>;
}

/**
 * lambda-av's own S3 endpoint, on 127.0.0.1: S3's REST API (path-style and `BUCKET.localhost`
 * virtual-hosted-style) over a store of its own (src/local/s3/object-store.ts). Every request is
 * signed with `credentials` (SigV4: the Authorization header, presigned URLs, aws-chunked uploads)
 * or is a POST form with a policy signed with them; cross-origin requests are refused. Objects are
 * kept in `directory` across restarts, or in a temporary directory removed when it stops.
 */
export async function startLocalS3Server(
  options: {
    readonly directory?: string;
    /** 0 (the default): a free port. */
    readonly port?: number;
    /** The key pair requests must be signed with; a new random one when not given. */
    readonly credentials?: LocalCredentials;
    /** Called after each object written (PutObject, CopyObject, multipart and POST uploads). */
    readonly onObjectCreated?: (object: CreatedObject) => void;
  } = {},
): Promise<LocalS3Server> {
  // A directory given by the caller is kept; a temporary one is removed on stop.
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'lambda-av-s3-')));
  await mkdir(directory, { recursive: true });
  const credentials = options.credentials ?? newLocalCredentials();
  const store = ObjectStore.open(directory);
  let sequence = 0;
  const context: S3Context = {
    store,
    uploads: new MultipartUploads(store),
    created: (bucket, object, how) =>
      options.onObjectCreated?.({
        bucket,
        key: object.key,
        size: object.size,
        etag: object.etag,
        eventName: `ObjectCreated:${how}`,
        // S3's sequencer orders the events of one key: hex, growing with each write.
        sequencer: `${object.lastModified.toString(16).toUpperCase()}${(sequence++).toString(16).toUpperCase().padStart(8, '0')}`,
      }),
  };
  const server = await startAwsServer({
    service: 's3',
    credentials,
    ...(options.port !== undefined ? { port: options.port } : {}),
    body: { kind: 'streamed' },
    virtualHostedBuckets: true,
    sendError: (response, error) => sendS3Error(response, error, response.req?.method),
    handle: (request, _body, response) => handleS3(context, request, response),
    authenticatedByBody: {
      matches: isFormPost,
      handle: (request, response, virtualBucket) => {
        const path = (request.url ?? '/').slice(1).replace(/\/$/, '');
        if (virtualBucket === undefined ? path === '' || path.includes('/') : path !== '') {
          throw new S3Error(405, 'MethodNotAllowed', 'A POST form upload goes to the bucket: POST /BUCKET');
        }
        return postObject(context, credentials, request, virtualBucket ?? decodeComponent(path), response);
      },
    },
  });
  return {
    endpoint: server.endpoint,
    credentials,
    directory,
    store,
    async stop() {
      await server.stop();
      if (!options.directory) await rm(directory, { recursive: true, force: true });
    },
  };
}

/** An S3 client for a local server: its credentials, path-style addressing (127.0.0.1 has no bucket subdomains). */
export function localS3Client(server: LocalEndpoint): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: server.credentials,
    forcePathStyle: true,
  });
}
